package org.poplock.readlog.state;

import java.io.IOError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.poplock.common.store.Problems;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.ReservedKeys;

/**
 * readlog's state on disk: one file only readlog writes, a complete snapshot of every relay entry
 * and of how far each log had been read when those entries were made, written whole under a
 * temporary name, fsynced and renamed over the last one (as the published database is). kill -9
 * at any moment leaves the last complete snapshot; the next start reads the logs on from its
 * positions, so what came after it is read again (a login recorded twice changes nothing).
 *
 * <p>A snapshot is a copy of the entries taken on the daemon's thread (linear: the entries are
 * kept sorted) and written by a writer thread, so the publish path never waits for the disk. Its
 * cost grows with the table, so snapshots are paced: at most every quarter second, and no more
 * often than ten times what the last one took. A failed write (a full disk) leaves the last
 * snapshot in place; the next one is the retry.
 *
 * <p>A state in the MapDB file of earlier versions is read by {@link LegacyState} and replaced by the
 * first snapshot.
 */
final class StateStore implements Grants.Changes, AutoCloseable {

    private static final long MIN_INTERVAL_NANOS = 250_000_000L;
    private static final long RETRY_NANOS = 5_000_000_000L;

    private final Path file;
    private final StateLock lock;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        var t = new Thread(r, "state-writer");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean writing = new AtomicBoolean();
    /** Something changed since the last snapshot was taken. */
    private volatile boolean changed;
    /** An earlier version's files, deleted once the first snapshot is written. */
    private List<Path> legacy = List.of();
    private volatile String writeFailure;
    private volatile long nextAllowed = System.nanoTime();

    private StateStore(Path file, StateLock lock) {
        this.file = file;
        this.lock = lock;
    }

    /** Opens the state, creating none until the first snapshot; a second readlog on the same file is refused. */
    static StateStore open(Path file) throws IOException {
        return new StateStore(file, StateLock.acquire(file));
    }

    /** Reading the state fails with an I/O error this many times, a second apart, before readlog gives up (leaving it in place). */
    static final int READ_ATTEMPTS = 3;

    /**
     * What the file holds: every entry, and every log's positions. A file that is no state (damage,
     * another program's) is moved aside with a line to {@code warnings} saying why: the logs are
     * then read again, and every login still within the timeout by its own timestamp is recorded
     * again. An I/O error is no damage: the read is tried again, and when it goes on failing the
     * IOException says so and the state stays where it is for the next start.
     */
    void load(BiConsumer<String, byte[]> entries, BiConsumer<String, long[]> positions, BiConsumer<String, byte[]> cluster,
            Consumer<String> warnings) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        IOException damage = null;
        for (int attempt = 1; damage == null; attempt++) {
            try {
                RelayDatabase.forEachStored(file, (key, value) -> {
                    if (key.startsWith(ReservedKeys.POSITION)) {
                        positions.accept(key.substring(ReservedKeys.POSITION.length()), longs(value));
                    } else if (key.startsWith(ReservedKeys.CLUSTER) || key.startsWith(ReservedKeys.CURSOR) || key.startsWith(ReservedKeys.FLAG)) {
                        cluster.accept(key, value);
                    } else {
                        entries.accept(key, value);
                    }
                });
                return;
            } catch (IOException | RuntimeException e) {
                if (!ioError(e)) {
                    damage = e instanceof IOException io ? io : new IOException(e.toString(), e); // or an earlier version's MapDB state
                } else if (attempt == READ_ATTEMPTS) {
                    throw new IOException("cannot read state " + file + ": " + Problems.rootMessage(e) + " (tried " + READ_ATTEMPTS
                            + " times; it is left as it is)", e);
                } else {
                    pause();
                }
            }
        }
        var written = LegacyState.read(file, entries, positions);
        if (written != null) {
            legacy = written;
            changed = true; // written anew as a snapshot at the first commit
            return;
        }
        var aside = file.resolveSibling(file.getFileName() + ".broken-" + Instant.now().getEpochSecond());
        Files.move(file, aside);
        warnings.accept("state " + file + " cannot be read (" + Problems.rootMessage(damage) + "); moved to " + aside
                + ", starting a new one and reading the logs again");
    }

    /** Whether reading failed for an I/O error (somewhere in its causes) rather than for what the file holds. */
    private static boolean ioError(Throwable e) {
        for (var cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause instanceof IOException || cause instanceof IOError) {
                return true;
            }
        }
        return false;
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the state", e);
        }
    }

    @Override
    public void put(String ip, byte[] value) {
        changed = true;
    }

    @Override
    public void remove(String ip) {
        changed = true;
    }

    void positionsChanged() {
        changed = true;
    }

    /**
     * Takes a snapshot and hands it to the writer thread, when something changed, the writer is
     * free and the pace allows; returns at once. {@code entries} are the entries as the state
     * stores them, sorted (copied here), {@code positions} each log's positions. Returns false when
     * a change waits for a later call (the writer busy, or the pace).
     */
    boolean commit(SortedMap<String, byte[]> entries, Map<String, long[]> positions, Map<String, byte[]> cluster) {
        if (!changed && writeFailure == null) {
            return true;
        }
        if (writing.get() || System.nanoTime() - nextAllowed < 0) {
            return false;
        }
        var snapshot = snapshot(entries, positions, cluster);
        changed = false;
        writing.set(true);
        writer.execute(() -> write(snapshot));
        return true;
    }

    /** Waits for a snapshot being written, then writes one of what is in memory now. */
    void commitNow(SortedMap<String, byte[]> entries, Map<String, long[]> positions, Map<String, byte[]> cluster) {
        awaitWriter();
        if (changed || writeFailure != null) {
            changed = false;
            write(snapshot(entries, positions, cluster));
        }
    }

    /**
     * What a snapshot writes, in key order: the records (positions, cursors, the cluster's; their
     * keys start with NUL, before every address), then the entries. Two arrays sharing the
     * entries' values (never changed in place, only replaced): at a million entries a copy of
     * 16 MB of references in a few milliseconds on the daemon's thread, where a copied TreeMap
     * took a hundred and more, and made a million objects for the collector.
     */
    private record Snapshot(String[] keys, byte[][] values) {
        void forEach(BiConsumer<String, byte[]> action) {
            for (int i = 0; i < keys.length; i++) {
                action.accept(keys[i], values[i]);
            }
        }
    }

    private static Snapshot snapshot(SortedMap<String, byte[]> entries, Map<String, long[]> positions, Map<String, byte[]> cluster) {
        var records = new TreeMap<String, byte[]>();
        positions.forEach((log, p) -> records.put(ReservedKeys.POSITION + log, bytes(p)));
        records.putAll(cluster);
        int n = records.size() + entries.size();
        var keys = new String[n];
        var values = new byte[n][];
        int i = 0;
        for (var r : records.entrySet()) {
            keys[i] = r.getKey();
            values[i++] = r.getValue();
        }
        for (var e : entries.entrySet()) {
            keys[i] = e.getKey();
            values[i++] = e.getValue();
        }
        return new Snapshot(keys, values);
    }

    private void write(Snapshot snapshot) {
        long start = System.nanoTime();
        try {
            RelayDatabase.publishInOrder(file, snapshot::forEach, snapshot.keys().length, "rw-r-----");
            writeFailure = null;
            for (var old : legacy) {
                Files.deleteIfExists(old);
            }
            legacy = List.of();
        } catch (IOException | RuntimeException | IOError e) {
            writeFailure = Problems.rootMessage(e);
            changed = true;
        } finally {
            long took = System.nanoTime() - start;
            // A full disk is tried again every few seconds; else no more than a tenth of the time goes to snapshots.
            nextAllowed = System.nanoTime() + (writeFailure != null ? RETRY_NANOS : Math.max(MIN_INTERVAL_NANOS, 10 * took));
            writing.set(false);
        }
    }

    /** The last snapshot's failure (a full disk, say), or null; the entries in memory are still served. */
    String writeFailure() {
        return writeFailure;
    }

    private void awaitWriter() {
        while (writing.get()) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        awaitWriter();
        writer.shutdown();
        try {
            writer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.close();
    }

    private static byte[] bytes(long[] longs) {
        var b = ByteBuffer.allocate(8 * longs.length);
        for (var l : longs) {
            b.putLong(l);
        }
        return b.array();
    }

    private static long[] longs(byte[] bytes) {
        var b = ByteBuffer.wrap(bytes);
        var out = new long[bytes.length / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getLong();
        }
        return out;
    }
}
