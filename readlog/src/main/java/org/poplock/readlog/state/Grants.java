package org.poplock.readlog.state;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.poplock.common.store.RelayEntry;

/**
 * Who may relay, in memory: the relay entries encoded (sorted, as published and saved), and the
 * earliest expiry. Every change goes through {@link #put} or
 * {@link #drop}, which also tell {@link Changes} (the state's store) what to write. No file here.
 */
public final class Grants {

    /** What the store must write: an entry's encoded value, or its removal. */
    public interface Changes {
        void put(String ip, byte[] value);

        void remove(String ip);
    }

    /**
     * The addresses written or dropped since a reader of changes last took them: a large published
     * table writes only those (common's {@code PublishedTable}).
     */
    public static final class Journal {
        /** Beyond this many changes (a log read from its start) the journal says "all" rather than hold them. */
        static final int MOST = 1 << 17;
        private Set<String> changed = new HashSet<>();
        private boolean all;

        /** The addresses changed since the last call, or null for "so many that all should be taken as changed"; then a fresh start. */
        public Set<String> take() {
            var out = all ? null : changed;
            changed = new HashSet<>();
            all = false;
            return out;
        }

        void add(String ip) {
            if (!all) {
                changed.add(ip);
                if (changed.size() > MOST) {
                    all = true;
                    changed = new HashSet<>();
                }
            }
        }
    }

    private final Changes changes;
    private final List<Journal> journals = new ArrayList<>();
    /** Told of this host's own changes: a login, an extension, an admin's change. */
    private final List<Output> outputs = new ArrayList<>();
    /**
     * The entries, encoded as published and saved (with user names), sorted, so a publish neither
     * encodes nor sorts. Kept encoded only (a million entries cost ~100 bytes each): the expiry is
     * read from the bytes, an entry is decoded when one is asked for.
     */
    private final TreeMap<String, byte[]> withUsers = new TreeMap<>();
    /** The entries by expiry, with stale items of renewed and removed ones: the sweep takes from its front. */
    private final ExpiryQueue byExpiry = new ExpiryQueue();
    private final OtherHosts otherHosts = new OtherHosts(this);

    /** Told of every entry that enters (a login, an admin's grant, another host's): the users of each address. */
    private Consumer<RelayEntry> entered = entry -> { };

    public Grants(Changes changes) {
        this.changes = changes;
    }

    /** Who hears of every entry that enters from now on. */
    public void onEnter(Consumer<RelayEntry> listener) {
        this.entered = listener;
    }

    /** A new journal of changes, from now on. */
    public Journal journal() {
        var journal = new Journal();
        journals.add(journal);
        return journal;
    }

    /** From now on {@code output} hears of this host's own changes. */
    public void follow(Output output) {
        outputs.add(output);
    }

    /** An entry as the store holds it, at start-up: nothing to write back. */
    void load(String ip, byte[] value) {
        var entry = RelayEntry.decode(ip, value);
        index(entry, value);
    }

    /**
     * Records a login. Returns whether the live set changed: a login already expired by its own
     * timestamp changes nothing, and an older line never shortens a newer entry. An address no
     * client can have is refused before, by {@code LoginPolicy}, which says why.
     */
    public boolean record(String ip, String user, Instant loginTime, Duration timeout, Instant now) {
        var entry = RelayEntry.of(ip, user, grantStart(loginTime, now), timeout);
        if (!entry.isLiveAt(now)) {
            return false;
        }
        var previous = withUsers.get(ip);
        if (previous != null && RelayEntry.expiryMillis(previous) >= entry.expiry().toEpochMilli()) {
            return false;
        }
        put(entry);
        granted(ip);
        return true;
    }

    /** When a login's grant begins: its time, but never later than now (a stamp ahead of our clock must not stretch the grant). */
    private static Instant grantStart(Instant loginTime, Instant now) {
        return loginTime.isAfter(now) ? now : loginTime;
    }

    /** When the grant of a login at {@code loginTime} ends, as {@link #record} computes it. */
    public static Instant grantEnd(Instant loginTime, Duration timeout, Instant now) {
        return grantStart(loginTime, now).plus(timeout);
    }

    /** An admin's grant ({@code SpoolCommand.Add}, a client's address): {@code ip} may relay for {@code duration} from now, whatever it had. */
    public void grant(String ip, String user, Instant now, Duration duration) {
        put(RelayEntry.of(ip, user, now, duration));
        granted(ip);
    }

    /** Moves a live entry's expiry to {@code timeout} from now once half of that is left; returns whether it did. */
    boolean extend(String ip, Instant now, Duration timeout) {
        var value = withUsers.get(ip);
        if (value == null || RelayEntry.expiryMillis(value) >= now.plus(timeout.dividedBy(2)).toEpochMilli()) {
            return false;
        }
        var e = RelayEntry.decode(ip, value);
        put(new RelayEntry(e.ip(), e.user(), e.login(), now.plus(timeout), e.origin()));
        granted(ip);
        return true;
    }

    /** The changes other cluster hosts send, merged by the rules that make the hosts agree. */
    public OtherHosts otherHosts() {
        return otherHosts;
    }

    /** An address's entry as stored, or null. */
    byte[] stored(String ip) {
        return withUsers.get(ip);
    }

    /** The entry an address has, decoded, if any. */
    public Optional<RelayEntry> entry(String ip) {
        var value = withUsers.get(ip);
        return value == null ? Optional.empty() : Optional.of(RelayEntry.decode(ip, value));
    }

    /** Withdraws an address's grant; returns whether it had one. */
    public boolean revoke(String ip) {
        if (!withUsers.containsKey(ip)) {
            return false;
        }
        drop(ip);
        return true;
    }

    /** The admin's removal at {@code at}: the outputs hear of it whether the address had a grant or not. */
    public boolean withdraw(String ip, Instant at) {
        boolean had = revoke(ip);
        outputs.forEach(o -> o.withdrawn(ip, at));
        return had;
    }

    /** The admin's flush at {@code at}; returns how many grants went. */
    public int withdrawAll(Instant at) {
        int n = revokeAll();
        outputs.forEach(o -> o.flushed(at));
        return n;
    }

    /** This host flagged {@code user} at {@code at} until {@code until}: the outputs hear of it (its grants go by {@link #withdraw}). */
    public void flagged(String user, Instant until, Instant at) {
        outputs.forEach(o -> o.flagged(user, until, at));
    }

    /** The admin lifted {@code user}'s flag here at {@code at}: the outputs hear of it. */
    public void unflagged(String user, Instant at) {
        outputs.forEach(o -> o.unflagged(user, at));
    }

    /** Withdraws every grant; returns how many there were. */
    public int revokeAll() {
        int n = withUsers.size();
        for (var ip : new ArrayList<>(withUsers.keySet())) {
            revoke(ip);
        }
        return n;
    }

    /** Removes expired entries; returns how many. Costs what expired (and the stale items before it), not the table. */
    public int sweep(Instant now) {
        int removed = 0;
        long nowMillis = now.toEpochMilli();
        while (byExpiry.earliest() <= nowMillis) {
            var ip = byExpiry.take();
            var value = withUsers.get(ip);
            if (value != null && RelayEntry.expiryMillis(value) <= nowMillis) {
                drop(ip);
                removed++;
            }
        }
        if (byExpiry.size() > 2 * withUsers.size() + 4096) {
            byExpiry.clear(); // mostly stale items of renewed entries: rebuilt from the table, once in a long while
            withUsers.forEach((ip, value) -> byExpiry.add(ip, RelayEntry.expiryMillis(value)));
        }
        return removed;
    }

    public List<RelayEntry> live(Instant now) {
        var out = new ArrayList<RelayEntry>(withUsers.size());
        long nowMillis = now.toEpochMilli();
        withUsers.forEach((ip, value) -> {
            if (RelayEntry.expiryMillis(value) > nowMillis) {
                out.add(RelayEntry.decode(ip, value));
            }
        });
        return out;
    }

    /**
     * The live entries encoded with their users, sorted: the map itself between sweeps. The
     * database relaylock reads holds the same without users ({@link RelayEntry#withoutUser}).
     */
    public SortedMap<String, byte[]> publishable(Instant now) {
        return liveOf(withUsers, now);
    }

    /** Every entry as the store holds it, sorted (a read-only view). */
    public SortedMap<String, byte[]> stored() {
        return Collections.unmodifiableSortedMap(withUsers);
    }

    /** When the earliest stored entry expires, so the daemon can sweep and republish on a quiet log. */
    public Optional<Instant> nextExpiry() {
        long earliest = byExpiry.earliest();
        return earliest == Long.MAX_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(earliest));
    }

    /** How many entries are stored, live or not yet swept. */
    public int size() {
        return withUsers.size();
    }

    /** The one way an entry enters: the decoded map, both published forms, the store's next batch, the next expiry. */
    void put(RelayEntry entry) {
        // Told before the entry replaces the address's last one: an address's users keep the user
        // of that one (read from it) when another user's grant takes its place.
        entered.accept(entry);
        var value = entry.encodeValue();
        index(entry, value);
        changes.put(entry.ip(), value);
        journal(entry.ip());
    }

    /** The one way an entry leaves. */
    void drop(String ip) {
        withUsers.remove(ip);
        changes.remove(ip);
        journal(ip);
    }

    private void granted(String ip) {
        for (var output : outputs) {
            output.granted(ip);
        }
    }

    private void journal(String ip) {
        for (var journal : journals) {
            journal.add(ip);
        }
    }

    private void index(RelayEntry entry, byte[] value) {
        withUsers.put(entry.ip(), value);
        byExpiry.add(entry.ip(), entry.expiry().toEpochMilli());
    }

    private SortedMap<String, byte[]> liveOf(TreeMap<String, byte[]> encoded, Instant now) {
        if (byExpiry.earliest() > now.toEpochMilli()) {
            return Collections.unmodifiableSortedMap(encoded);
        }
        var live = new TreeMap<String, byte[]>();
        long nowMillis = now.toEpochMilli();
        encoded.forEach((ip, value) -> {
            if (RelayEntry.expiryMillis(value) > nowMillis) {
                live.put(ip, value);
            }
        });
        return live;
    }
}
