package org.poplock.common.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * How readlog publishes one table ({@code relay.db}, or {@code relay.db.users}) so that the bytes
 * written per publish follow what changed, not the size of the table.
 *
 * <p>A table of fewer than {@link #DELTA_FROM} entries is written whole at every publish: it is
 * small enough that a delta would save little. A larger one is a <em>base</em> and a <em>delta</em>: the base is the whole table as
 * it was at some moment and names its generation under {@link ReservedKeys#DELTA}; the delta
 * ({@link DatabaseLayout#delta}) holds every address changed since, with its entry as it is now
 * or an empty value for one withdrawn. A publish rewrites the delta only; once the delta has an
 * eighth of the base's entries, the next publish writes a new base (and an empty delta for it).
 * At a million entries and a thousand logins a second that is a new 36 MB base about every two
 * minutes and deltas of a few MB between, instead of 36 MB four times a second.
 *
 * <p>Readers never see a half-written file: each file is written under a temporary name and
 * renamed into place. They never see an inconsistent pair either: the delta of a generation is in
 * place before the base that names it, a delta is only ever replaced by one with more changes
 * since the same base, and the delta of the generation before is removed only when the next base
 * is written, so a reader that opened a base and finds its delta gone knows the base was replaced
 * meanwhile and opens it again.
 */
public final class PublishedTable {

    /** Tables smaller than this are written whole: at 50,000 entries that is about 2 MB, 20-40 ms. */
    public static final int DELTA_FROM = 50_000;
    /** A delta may grow to this many changes, or an eighth of its base, before a new base is written. */
    private static final int DELTA_AT_LEAST = 4096;

    private final Path path;
    private final String mode;
    private final String group;
    private final UnaryOperator<byte[]> value;
    /** The generation of the base at {@link #path}, or 0 while it is a whole table (or none was written yet). */
    private long generation;
    /** The generation before, whose delta a slow reader may still be opening. */
    private long previous;
    private int baseSize;
    /** Every address changed since the base was written. */
    private final Set<String> sinceBase = new HashSet<>();

    /** The table at {@code path}, with its files' mode and group (null: the writer's), each value as {@code value} turns it. */
    public PublishedTable(Path path, String mode, String group, UnaryOperator<byte[]> value) {
        this.path = path;
        this.mode = mode;
        this.group = group;
        this.value = value;
    }

    /**
     * Publishes {@code live}, every live entry encoded and sorted, of which at most the addresses
     * in {@code changed} differ from the last publish (null: any may). A failure leaves the files
     * readers see as they were and keeps the changes for the next publish.
     */
    public void publish(SortedMap<String, byte[]> live, Set<String> changed) throws IOException {
        int limit = Math.max(DELTA_AT_LEAST, baseSize / 8);
        boolean asDelta = generation > 0 && live.size() >= DELTA_FROM && changed != null && sinceBase.size() + changed.size() <= limit * 2;
        if (asDelta) {
            sinceBase.addAll(changed);
            asDelta = sinceBase.size() <= limit;
        } else {
            sinceBase.clear(); // a new base follows: what changed since the old one no longer matters
        }
        if (asDelta) {
            var delta = new TreeMap<String, byte[]>();
            for (var ip : sinceBase) {
                var entry = live.get(ip);
                delta.put(ip, entry == null ? new byte[0] : entry);
            }
            RelayDatabase.write(DatabaseLayout.delta(path, generation), delta, mode, group, value, -1);
            return;
        }
        long next = 0;
        if (live.size() >= DELTA_FROM) {
            next = Math.max(Math.max(generation, previous) + 1, System.currentTimeMillis());
            RelayDatabase.write(DatabaseLayout.delta(path, next), new TreeMap<>(), mode, group, value, -1);
        }
        long old = generation;
        generation = 0; // until the new base is in place, no delta may be written against the old one
        RelayDatabase.write(path, live, mode, group, value, next);
        if (old > 0) {
            previous = old;
        }
        generation = next;
        baseSize = live.size();
        sinceBase.clear();
        try {
            removeOldDeltas();
        } catch (IOException e) {
            // a stale delta costs a little disk, and the next base tries again
        }
    }

    /** Deltas of generations before the previous one: no reader can need them (one that does opens the base again). */
    private void removeOldDeltas() throws IOException {
        var prefix = path.getFileName() + DatabaseLayout.DELTA;
        try (var files = Files.newDirectoryStream(path.toAbsolutePath().getParent(), prefix + "*")) {
            for (var file : files) {
                var name = file.getFileName().toString().substring(prefix.length());
                if (!name.equals(Long.toString(generation)) && !name.equals(Long.toString(previous))) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /** How many changes the delta now holds (0 while the table is written whole): for tests and the summary. */
    public int deltaSize() {
        return generation > 0 ? sinceBase.size() : 0;
    }
}
