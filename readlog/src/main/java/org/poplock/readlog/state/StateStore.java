package org.poplock.readlog.state;

import java.io.IOError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.poplock.common.store.Problems;

/**
 * readlog's state on disk: a MapDB file only readlog opens, with the relay entries and how far
 * each log has been read, written with MapDB's write-ahead log, so a crash loses at most the
 * batches not yet committed; since log positions are committed together with the entries they
 * led to, the next start reads exactly those lines again.
 *
 * <p>{@link #commit()} hands the batch of changes to a writer thread, because a MapDB commit now
 * and then replays its log into the store (measured: 450 ms with 10,000 entries) and relaylock
 * must not wait for that. A failed write (a full disk) leaves MapDB unusable; what is in memory is
 * then written to a new file, every few seconds until that succeeds.
 */
final class StateStore implements Grants.Changes, AutoCloseable {

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
    private final StateLock lock;
    /** Written by the writer thread only, once opened. */
    private Store store;
    /** Changes since the last commit, applied to MapDB in order by the writer thread. */
    private List<Consumer<Store>> pending = new ArrayList<>();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        var t = new Thread(r, "state-writer");
        t.setDaemon(true);
        return t;
    });
    private volatile String writeFailure;
    private long nextRebuild = System.nanoTime();

    private StateStore(Path file, Store store, StateLock lock) {
        this.file = file;
        this.store = store;
        this.lock = lock;
    }

    /**
     * Opens or creates the state; a second readlog on the same file is refused, not allowed to
     * corrupt it. A state MapDB cannot open (kill -9 while it was being created, a disk error) is
     * moved aside and a new one started, with a line to {@code warnings}: the logs are then read
     * again, and every login still within the timeout by its own timestamp is recorded again.
     */
    static StateStore open(Path file, Consumer<String> warnings) throws IOException {
        var lock = StateLock.acquire(file);
        try {
            try {
                return new StateStore(file, Store.open(file), lock);
            } catch (DBException.FileLocked e) {
                throw new IOException("state " + file + " is in use by another readlog (" + e.getMessage() + ")");
            } catch (DBException | IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
                var aside = moveAside(file, ".broken-" + Instant.now().getEpochSecond());
                warnings.accept("state " + file + " cannot be opened (" + e.getMessage() + "); moved to " + aside
                        + ", starting a new one and reading the logs again");
                return new StateStore(file, Store.open(file), lock);
            }
        } catch (IOException | RuntimeException e) {
            lock.close();
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot open state " + file + ": " + e.getMessage(), e);
        }
    }

    /** What the file holds, as loaded at start-up: every entry, and every log's positions. */
    void load(BiConsumer<String, byte[]> entries, BiConsumer<String, long[]> positions) {
        store.entries().forEach(entries);
        store.positions().forEach(positions);
    }

    @Override
    public void put(String ip, byte[] value) {
        pending.add(s -> s.entries().put(ip, value));
    }

    @Override
    public void remove(String ip) {
        pending.add(s -> s.entries().remove(ip));
    }

    void putPositions(String log, long[] positions) {
        pending.add(s -> s.positions().put(log, positions));
    }

    /**
     * Hands the changes so far to the writer thread; returns at once. After a failed write MapDB
     * fails every later one, so the writer instead rebuilds the file from {@code entriesNow} and
     * {@code positionsNow} (what is in memory), paced, until that succeeds.
     */
    void commit(java.util.function.Supplier<SortedMap<String, byte[]>> entriesNow, java.util.function.Supplier<Map<String, long[]>> positionsNow) {
        if (writeFailure != null) {
            if (System.nanoTime() - nextRebuild < 0) {
                return;
            }
            nextRebuild = System.nanoTime() + REBUILD_EVERY_NANOS;
            pending = new ArrayList<>();
            var entries = entriesNow.get();
            var positions = new HashMap<>(positionsNow.get());
            writer.execute(() -> rebuild(entries, positions));
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
                writeFailure = Problems.rootMessage(e);
            }
        });
    }

    /** The last commit's failure (a full disk, say), or null; the entries in memory are still served. */
    String writeFailure() {
        return writeFailure;
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
            writeFailure = Problems.rootMessage(e);
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
            writeFailure = Problems.rootMessage(e);
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

    /** Waits for the writer (what was committed before is on disk then) and closes the file. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.closeQuietly();
        lock.close();
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
}
