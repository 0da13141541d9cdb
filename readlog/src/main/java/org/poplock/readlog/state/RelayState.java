package org.poplock.readlog.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.poplock.common.store.RelayEntry;
import org.poplock.common.store.ReservedKeys;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.source.LogPosition;

/**
 * readlog's working state: who may relay ({@link Grants}), the sessions that keep a grant open
 * ({@link Sessions}), how far each log has been read, and the file all but the sessions are saved
 * in ({@link StateStore}). The daemon's loop works on memory; {@link #commit()} hands what changed
 * to the store's writer thread.
 */
public final class RelayState implements AutoCloseable {

    private final StateStore store;
    private final Grants grants;
    private final Sessions sessions = new Sessions();
    private LoginGuard guard = LoginGuard.NONE;
    private final GuardedGrants guarded;
    /** How far each log has been read, as last handed to the store. */
    private final Map<String, long[]> positions = new HashMap<>();
    /** The cluster's records as the state saved them (outbox, stream position); then what {@link #clusterRecords} supplies. */
    private final Map<String, byte[]> savedCluster = new HashMap<>();
    private Supplier<? extends Map<String, byte[]>> cluster = () -> savedCluster;
    /** Where each stream with a cursor (the journal) was read to, as last handed to the store. */
    private final Map<String, byte[]> cursors = new HashMap<>();
    /** The flagged users and when each flag ends, as last handed to the store: a restart keeps them. */
    private final Map<String, byte[]> flags = new HashMap<>();

    private RelayState(StateStore store, Consumer<String> warnings) throws IOException {
        this.store = store;
        this.grants = new Grants(store);
        this.guarded = new GuardedGrants(grants);
        try {
            store.load(grants::load, positions::put, (key, value) -> (key.startsWith(ReservedKeys.CURSOR) ? cursors : key.startsWith(ReservedKeys.FLAG) ? flags : savedCluster).put(key, value),
                    warnings);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e instanceof IOException io ? io : new IOException("cannot read state: " + e.getMessage(), e);
        }
    }

    /** Opens or creates the state; a second readlog on the same file is refused, not allowed to corrupt it. */
    public static RelayState open(Path file) throws IOException {
        return open(file, message -> { });
    }

    /** As {@link #open(Path)}, with what the store says about a state it had to move aside. */
    public static RelayState open(Path file, Consumer<String> warnings) throws IOException {
        return new RelayState(StateStore.open(file), warnings);
    }

    public Grants grants() {
        return grants;
    }

    public Sessions sessions() {
        return sessions;
    }

    /** What a login earns besides its timeout (shared addresses, flagged users): told of every entry that enters. */
    public void guard(LoginGuard guard) {
        this.guard = guard;
        grants.stored().forEach((ip, value) -> guard.entered(RelayEntry.decode(ip, value)));
        grants.onEnter(guard::entered);
    }

    public LoginGuard guard() {
        return guard;
    }

    /** Records a login as the guard allows (a shorter grant caps its address's); see {@link Grants#record}. */
    public boolean record(Login login, Duration timeout, Instant now) {
        var allowed = guard.grantFor(login.ip(), login.user(), login.time(), timeout, now);
        if (allowed == null) {
            return false;
        }
        boolean changed = false;
        if (allowed.compareTo(timeout) < 0) {
            changed |= guarded.cap(login.ip(), Grants.grantEnd(login.time(), allowed, now));
        }
        return grants.record(login.ip(), login.user(), login.time(), allowed, now) || changed;
    }

    /**
     * The users the guard flagged since the last call (the daemon asks once a round): the outputs
     * (the other cluster hosts among them) hear of those a login here flagged, and the grants of
     * every one end here, in one pass, unless the flags keep them. Returns whether the grants changed.
     */
    public boolean settleFlags(Instant now) {
        var flagged = guard.takeFlagged(now);
        var ending = new HashSet<String>();
        for (var flag : flagged) {
            if (flag.here()) {
                grants.flagged(flag.user(), flag.until(), now);
            }
            if (flag.endsGrants()) {
                ending.add(flag.user());
            }
        }
        return !ending.isEmpty() && !guarded.endUsers(ending).isEmpty();
    }

    /** The admin lifts {@code user}'s flag here at {@code at}: the other hosts hear of it. Returns whether it had one. */
    public boolean unflag(String user, Instant at) {
        boolean had = guard.unflag(user, at);
        grants.unflagged(user, at);
        return had;
    }

    /**
     * Keeps the grants of addresses with an open session from expiring: their expiry moves to
     * {@code timeout} from now, but a session is trusted for {@code maxKeep} at most. Returns how
     * many entries were extended.
     */
    public int keepOpen(Instant now, Duration timeout, Duration maxKeep) {
        int extended = 0;
        for (var ip : sessions.openAddresses(now, maxKeep)) {
            if (grants.extend(ip, now, timeout)) {
                extended++;
            }
        }
        return extended; // a later expiry leaves the next expiry early, never late: nothing to recompute
    }

    public int sweep(Instant now) {
        return grants.sweep(now);
    }

    public List<RelayEntry> live(Instant now) {
        return grants.live(now);
    }

    public SortedMap<String, byte[]> publishable(Instant now) {
        return grants.publishable(now);
    }

    public Optional<Instant> nextExpiry() {
        return grants.nextExpiry();
    }

    public int size() {
        return grants.size();
    }

    /** Where each file of a log was when last saved: the file at its path first, then rotated ones. */
    public List<LogPosition> positions(String log) {
        return LogPosition.decode(positions.get(log));
    }

    public void savePositions(String log, List<LogPosition> filePositions) {
        var p = LogPosition.encode(filePositions);
        if (Arrays.equals(p, positions.get(log))) {
            return;
        }
        positions.put(log, p);
        store.positionsChanged();
    }

    /** Where the stream {@code source} was read to when last saved (its cursor), or null. */
    public String cursor(String source) {
        var c = cursors.get(ReservedKeys.CURSOR + source);
        return c == null ? null : new String(c, StandardCharsets.UTF_8);
    }

    public void saveCursor(String source, String cursor) {
        var c = cursor.getBytes(StandardCharsets.UTF_8);
        if (!Arrays.equals(c, cursors.put(ReservedKeys.CURSOR + source, c))) {
            store.positionsChanged();
        }
    }

    /** The cluster's records the state was saved with: its outbox and stream position. */
    public Map<String, byte[]> savedClusterRecords() {
        return Map.copyOf(savedCluster);
    }

    /** Where each snapshot takes the cluster's records from from now on. */
    public void clusterRecords(Supplier<? extends Map<String, byte[]>> records) {
        this.cluster = records;
    }

    /** The cluster's outbox or stream position moved: the next commit saves them. */
    public void clusterChanged() {
        store.positionsChanged();
    }

    /** The flagged users the state was saved with, and when each flag ends (epoch milliseconds); a damaged time is left out. */
    public Map<String, Long> savedFlags() {
        var out = new HashMap<String, Long>();
        flags.forEach((key, value) -> {
            try {
                out.put(key.substring(ReservedKeys.FLAG.length()), Long.parseLong(new String(value, StandardCharsets.US_ASCII)));
            } catch (NumberFormatException e) {
                // not a time: that flag is not restored
            }
        });
        return out;
    }

    /** The flagged users now, and when each flag ends: the next commit saves them. */
    public void flagsChanged(Map<String, Long> flaggedUntil) {
        flags.clear();
        flaggedUntil.forEach((user, until) -> flags.put(ReservedKeys.FLAG + user, Long.toString(until).getBytes(StandardCharsets.US_ASCII)));
        store.positionsChanged();
    }

    /** The records beside the entries and positions: the cluster's, the streams' cursors and the flags. */
    private Map<String, byte[]> records() {
        if (cursors.isEmpty() && flags.isEmpty()) {
            return cluster.get();
        }
        var all = new HashMap<String, byte[]>(cluster.get());
        all.putAll(cursors);
        all.putAll(flags);
        return all;
    }

    /** Hands a snapshot of the state to the writer thread when one is due; returns at once, false when a change still waits. */
    public boolean commit() {
        return store.commit(grants.stored(), positions, records());
    }

    /** The last commit's failure (a full disk, say), or null; the entries in memory are still served. */
    public String writeFailure() {
        return store.writeFailure();
    }

    /** Commits what is pending, waits for the writer, and closes the file. */
    @Override
    public void close() {
        store.commitNow(grants.stored(), positions, records());
        store.close();
    }
}
