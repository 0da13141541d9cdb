package org.poplock.readlog.state;

import java.io.IOError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.poplock.common.address.IpAddress;
import org.poplock.common.store.RelayEntry;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.source.LogPosition;

/**
 * readlog's working state, in a MapDB file only readlog opens: the relay entries and how far each
 * log has been read. Written with MapDB's write-ahead log, so a crash loses at most the batches
 * not yet committed, and since log positions are committed together with the entries they led
 * to, the next start reads exactly those lines again.
 *
 * <p>A failed write (a full disk) leaves MapDB unusable; the entries and positions in memory are
 * then written to a new file, every few seconds until that succeeds, while readlog serves and
 * publishes from memory.
 *
 * <p>The daemon's loop works on the decoded entries in memory; {@link #commit()} hands the batch
 * of changes to a writer thread, because a MapDB commit now and then replays its log into the
 * store (measured: 450 ms with 10,000 entries) and relaylock must not wait for that.
 */
public final class RelayState implements AutoCloseable {

    /** The MapDB file and its two maps: replaced whole when a failed write leaves MapDB unusable. */
    private record Store(DB db, HTreeMap<String, byte[]> entries, HTreeMap<String, long[]> positions) {
        static Store open(Path file) {
            var db = DBMaker.fileDB(file.toFile()).transactionEnable().make();
            return new Store(db, db.hashMap("entries", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen(),
                    db.hashMap("positions", Serializer.STRING, Serializer.LONG_ARRAY).createOrOpen());
        }

        void closeQuietly() {
            try {
                db.close();
            } catch (RuntimeException | IOError e) {
                // it failed a write already; what it holds is rebuilt or read again from the logs
            }
        }
    }

    /** A failed state is rebuilt at most this often while the disk stays full. */
    private static final long REBUILD_EVERY_NANOS = 5_000_000_000L;

    private final Path file;
    /** Written by the writer thread only, once the constructor is done. */
    private Store store;
    /** The entries decoded, so the daemon's loop never walks MapDB to sweep or publish. */
    private final Map<String, RelayEntry> entries = new HashMap<>();
    /** The same entries in their published form and order, so a publish neither encodes nor sorts. */
    private final TreeMap<String, byte[]> published = new TreeMap<>();
    /** The same without user names: what relaylock, running as the SMTP service's user, reads. */
    private final TreeMap<String, byte[]> addresses = new TreeMap<>();
    /** How far each log has been read, as last handed to the writer. */
    private final Map<String, long[]> positions = new HashMap<>();

    /** No entry expires before this; may be earlier than the truth, never later. */
    private Instant nextExpiry;

    /** Changes since the last commit, applied to MapDB in order by the writer thread. */
    private List<Consumer<Store>> pending = new ArrayList<>();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        var t = new Thread(r, "state-writer");
        t.setDaemon(true);
        return t;
    });
    private volatile String writeFailure;
    private long nextRebuild = System.nanoTime();

    private final StateLock lock;

    private RelayState(Path file, Store store, StateLock lock) {
        this.file = file;
        this.store = store;
        this.lock = lock;
        store.entries().forEach((ip, value) -> {
            var entry = RelayEntry.decode(ip, value);
            entries.put(ip, entry);
            published.put(ip, value);
            addresses.put(ip, new RelayEntry(ip, "", entry.login(), entry.expiry()).encodeValue());
        });
        positions.putAll(store.positions());
        recomputeNextExpiry();
    }

    /** Opens or creates the state; a second readlog on the same file is refused, not allowed to corrupt it. */
    public static RelayState open(Path file) throws IOException {
        return open(file, message -> { });
    }

    /**
     * As {@link #open(Path)}; a state MapDB cannot open (kill -9 while it was being created, a disk
     * error) is moved aside and a new one started, with a line to {@code warnings}. Nothing is
     * lost that matters: the logs are read again from their start, and every login still within
     * the timeout by its own timestamp is recorded again.
     */
    public static RelayState open(Path file, Consumer<String> warnings) throws IOException {
        var lock = StateLock.acquire(file);
        try {
            try {
                return new RelayState(file, Store.open(file), lock);
            } catch (DBException.FileLocked e) {
                throw new IOException("state " + file + " is in use by another readlog (" + e.getMessage() + ")");
            } catch (DBException | IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
                var aside = moveAside(file, ".broken-" + Instant.now().getEpochSecond());
                warnings.accept("state " + file + " cannot be opened (" + e.getMessage() + "); moved to " + aside
                        + ", starting a new one and reading the logs again");
                return new RelayState(file, Store.open(file), lock);
            }
        } catch (IOException | RuntimeException e) {
            lock.close();
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot open state " + file + ": " + e.getMessage(), e);
        }
    }

    /** Renames the state and its write-ahead log files to NAME+SUFFIX...; returns the new name. */
    private static Path moveAside(Path file, String suffix) throws IOException {
        var aside = file.resolveSibling(file.getFileName() + suffix);
        moveState(file, aside);
        return aside;
    }

    /** Renames the MapDB file {@code from} and its write-ahead log files to {@code to}, {@code to}.wal.N. */
    private static void moveState(Path from, Path to) throws IOException {
        var name = from.getFileName().toString();
        for (var f : stateFiles(from)) {
            Files.move(f, to.resolveSibling(to.getFileName() + f.getFileName().toString().substring(name.length())));
        }
    }

    /** The MapDB file {@code file} and its write-ahead log files. */
    private static List<Path> stateFiles(Path file) throws IOException {
        var name = file.getFileName().toString();
        try (var siblings = Files.list(file.toAbsolutePath().getParent())) {
            return siblings.filter(f -> {
                var n = f.getFileName().toString();
                return n.equals(name) || n.startsWith(name + ".wal.");
            }).toList();
        }
    }

    /**
     * Records a login. Returns whether the live set changed: a login already expired by its own
     * timestamp changes nothing, and an older line never shortens a newer entry.
     */
    public boolean record(Login login, Duration timeout, Instant now) {
        // A stamp ahead of our clock must not stretch the grant beyond the timeout.
        var time = login.time().isAfter(now) ? now : login.time();
        var entry = RelayEntry.of(login.ip(), login.user(), time, timeout);
        if (!entry.isLiveAt(now) || IpAddress.notAClient(login.ip()) != null) {
            return false;
        }
        var previous = entries.get(login.ip());
        if (previous != null && !previous.expiry().isBefore(entry.expiry())) {
            return false;
        }
        put(entry);
        return true;
    }

    /** The one way an entry enters the state: the decoded map, both published forms, MapDB's next batch, the next expiry. */
    private void put(RelayEntry entry) {
        var ip = entry.ip();
        var value = entry.encodeValue();
        entries.put(ip, entry);
        published.put(ip, value);
        addresses.put(ip, new RelayEntry(ip, "", entry.login(), entry.expiry()).encodeValue());
        pending.add(store -> store.entries().put(ip, value));
        if (nextExpiry == null || entry.expiry().isBefore(nextExpiry)) {
            nextExpiry = entry.expiry();
        }
    }

    /** The one way an entry leaves the state (its decoded form is removed by the caller, who may be iterating). */
    private void drop(String ip) {
        published.remove(ip);
        addresses.remove(ip);
        pending.add(store -> store.entries().remove(ip));
    }

    /** An admin's grant: {@code ip} may relay for {@code duration} from now, whatever it had. */
    public void grant(String ip, String user, Instant now, Duration duration) {
        if (IpAddress.notAClient(ip) != null) {
            throw new IllegalArgumentException(ip + " can be no client's address: " + IpAddress.notAClient(ip));
        }
        put(RelayEntry.of(ip, user, now, duration));
    }

    /** Sessions opened by a login and not yet closed: session → address, and when each began. */
    private final Map<String, String> openSessions = new HashMap<>();
    private final Map<String, Instant> sessionStarts = new HashMap<>();

    /** A login's session is open (--keep-while-connected). Kept in memory only: a restart forgets it. */
    public void sessionOpened(String session, String ip, Instant at) {
        openSessions.put(session, ip);
        sessionStarts.put(session, at);
    }

    public void sessionClosed(String session) {
        openSessions.remove(session);
        sessionStarts.remove(session);
    }

    /**
     * Keeps the grants of addresses with an open session from expiring: their expiry moves to
     * {@code timeout} from now, but a session is trusted for {@code maxKeep} at most, since a
     * server that dies logs no disconnect. Returns how many entries were extended.
     */
    public int keepOpen(Instant now, Duration timeout, Duration maxKeep) {
        int extended = 0;
        for (var it = sessionStarts.entrySet().iterator(); it.hasNext(); ) {
            var session = it.next();
            if (session.getValue().plus(maxKeep).isBefore(now)) {
                openSessions.remove(session.getKey());
                it.remove();
                continue;
            }
            var e = entries.get(openSessions.get(session.getKey()));
            if (e != null && e.expiry().isBefore(now.plus(timeout.dividedBy(2)))) {
                put(new RelayEntry(e.ip(), e.user(), e.login(), now.plus(timeout)));
                extended++;
            }
        }
        if (extended > 0) {
            recomputeNextExpiry();
        }
        return extended;
    }

    /** Withdraws an address's grant; returns whether it had one. */
    public boolean revoke(String ip) {
        if (entries.remove(ip) == null) {
            return false;
        }
        drop(ip);
        return true;
    }

    /** Withdraws every grant; returns how many there were. */
    public int revokeAll() {
        int n = entries.size();
        for (var ip : new ArrayList<>(entries.keySet())) {
            revoke(ip);
        }
        return n;
    }

    /** Removes expired entries; returns how many. */
    public int sweep(Instant now) {
        int removed = 0;
        for (var it = entries.values().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!e.isLiveAt(now)) {
                it.remove();
                drop(e.ip());
                removed++;
            }
        }
        recomputeNextExpiry();
        return removed;
    }

    public List<RelayEntry> live(Instant now) {
        var out = new ArrayList<RelayEntry>(entries.size());
        for (var e : entries.values()) {
            if (e.isLiveAt(now)) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * The live entries as the database relaylock reads stores them: address → encoded entry with
     * no user name, sorted. Between sweeps every entry is live, and this is the state's own map,
     * not a copy.
     */
    public SortedMap<String, byte[]> publishable(Instant now) {
        return liveOf(addresses, now);
    }

    /** The live entries with their users, for the table only root and readlog's group may read. */
    public SortedMap<String, byte[]> publishableWithUsers(Instant now) {
        return liveOf(published, now);
    }

    private SortedMap<String, byte[]> liveOf(TreeMap<String, byte[]> encoded, Instant now) {
        if (nextExpiry == null || nextExpiry.isAfter(now)) {
            return Collections.unmodifiableSortedMap(encoded);
        }
        var live = new TreeMap<String, byte[]>();
        for (var e : entries.values()) {
            if (e.isLiveAt(now)) {
                live.put(e.ip(), encoded.get(e.ip()));
            }
        }
        return live;
    }

    /** When the earliest stored entry expires, so the daemon can sweep and republish on a quiet log. */
    public Optional<Instant> nextExpiry() {
        return Optional.ofNullable(nextExpiry);
    }

    private void recomputeNextExpiry() {
        nextExpiry = entries.values().stream().map(RelayEntry::expiry).min(Instant::compareTo).orElse(null);
    }

    /** Where each file of a log was when last saved: the file at its path first, then rotated ones. */
    public List<LogPosition> positions(String log) {
        return LogPosition.decode(positions.get(log));
    }

    public void savePositions(String log, List<LogPosition> filePositions) {
        var p = LogPosition.encode(filePositions);
        if (java.util.Arrays.equals(p, positions.get(log))) {
            return;
        }
        positions.put(log, p);
        pending.add(store -> store.positions().put(log, p));
    }

    /**
     * Hands the changes so far to the writer thread; returns at once. After a failed write (a full
     * disk) MapDB fails every later one, so the writer instead rebuilds the file from what is in
     * memory, every few seconds until it succeeds: nothing recorded is missing from it then.
     */
    public void commit() {
        if (writeFailure != null) {
            if (System.nanoTime() - nextRebuild < 0) {
                return;
            }
            nextRebuild = System.nanoTime() + REBUILD_EVERY_NANOS;
            pending = new ArrayList<>();
            var entriesNow = new TreeMap<>(published);
            var positionsNow = new HashMap<>(positions);
            writer.execute(() -> rebuild(entriesNow, positionsNow));
            return;
        }
        if (pending.isEmpty()) {
            return;
        }
        var batch = pending;
        pending = new ArrayList<>();
        writer.execute(() -> {
            if (writeFailure != null) {
                // MapDB fails every write after a failed one: the rebuild that follows holds these changes too.
                return;
            }
            try {
                for (var change : batch) {
                    change.accept(store);
                }
                store.db().commit();
            } catch (RuntimeException | IOError e) {
                writeFailure = rootMessage(e);
            }
        });
    }

    /**
     * A new state file with exactly {@code entriesNow} and {@code positionsNow}, in place of the
     * broken one, which is kept aside until the new one is committed and put back if it cannot be.
     */
    private void rebuild(SortedMap<String, byte[]> entriesNow, Map<String, long[]> positionsNow) {
        store.closeQuietly();
        Path aside;
        try {
            aside = moveAside(file, ".rebuilding");
        } catch (IOException | RuntimeException e) {
            writeFailure = rootMessage(e);
            return;
        }
        try {
            var fresh = Store.open(file);
            try {
                fresh.entries().putAll(entriesNow);
                fresh.positions().putAll(positionsNow);
                fresh.db().commit();
            } catch (RuntimeException | IOError e) {
                fresh.closeQuietly();
                throw e;
            }
            store = fresh;
            writeFailure = null;
            for (var old : stateFiles(aside)) {
                Files.deleteIfExists(old);
            }
        } catch (IOException | RuntimeException | IOError e) {
            writeFailure = rootMessage(e);
            try {
                for (var partial : stateFiles(file)) {
                    Files.deleteIfExists(partial);
                }
                moveState(aside, file);
            } catch (IOException | RuntimeException again) {
                // the next rebuild tries again; a restart reads the logs again if need be
            }
            try {
                store = Store.open(file);
            } catch (RuntimeException | IOError again) {
                // stays broken until the next rebuild
            }
        }
    }

    /** What failed, from the innermost cause: MapDB wraps a full disk in two exceptions without messages of their own. */
    private static String rootMessage(Throwable e) {
        var cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    /** The last commit's failure (a full disk, say), or null; the entries in memory are still served. */
    public String writeFailure() {
        return writeFailure;
    }

    /** Commits what is pending, waits for the writer, and closes the file. */
    @Override
    public void close() {
        commit();
        writer.shutdown();
        try {
            writer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.closeQuietly();
        lock.close();
    }

    /** How many entries are stored, live or not yet swept. */
    public int size() {
        return entries.size();
    }
}
