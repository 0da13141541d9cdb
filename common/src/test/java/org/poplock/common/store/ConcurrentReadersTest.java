package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-writer rule under load: one writer publishes in a loop while reader processes (real
 * JVMs, as relaylock and showallowed are) open and check the live file as fast as they can.
 * Every snapshot a reader sees must be one complete generation.
 */
class ConcurrentReadersTest {

    static final String SENTINEL = "0.0.0.0";
    static final int READERS = 4;

    @TempDir
    Path dir;

    @Test
    void readersInOtherProcessesSeeOnlyCompleteGenerations() throws Exception {
        var db = dir.resolve("relay.db");
        RelayDatabase.publish(db, generation(0));
        var stop = dir.resolve("stop");

        var readers = new ArrayList<Process>();
        for (int i = 0; i < READERS; i++) {
            readers.add(new ProcessBuilder(javaCommand(GenerationChecker.class.getName(), db.toString(), stop.toString()))
                    .redirectErrorStream(true).start());
        }
        int generations = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        while (System.nanoTime() < deadline) {
            RelayDatabase.publish(db, generation(++generations));
        }
        Files.createFile(stop);

        for (var reader : readers) {
            assertTrue(reader.waitFor(60, TimeUnit.SECONDS), "reader did not stop");
            var out = new String(reader.getInputStream().readAllBytes()).trim();
            assertEquals(0, reader.exitValue(), out);
            assertTrue(out.matches("checked \\d+ snapshots, \\d+ generations"), out);
            int snapshots = Integer.parseInt(out.split(" ")[1]);
            assertTrue(snapshots > 10, "reader checked too little to mean anything: " + out);
        }
        assertTrue(generations > 50, "writer published only " + generations + " generations");
    }

    static final int BULK = PublishedTable.DELTA_FROM + 5000;

    /**
     * The same for a table large enough to be published as a base and a delta: every round
     * changes a few addresses, withdraws the round before's and moves the sentinel, and every few
     * hundred rounds a new base is written. A reader must see one round whole: its addresses, none
     * of the round before, and exactly the bulk beside them.
     */
    @Test
    void readersOfALargeTableSeeOneRoundWholeAcrossNewBases() throws Exception {
        var db = dir.resolve("relay.db");
        var table = new PublishedTable(db, "rw-r--r--", null, java.util.function.UnaryOperator.identity());
        var live = new java.util.TreeMap<String, byte[]>();
        var t = Instant.now();
        for (int i = 0; i < BULK; i++) {
            var ip = "10." + (i / 65536) + "." + (i / 256 % 256) + "." + (i % 256);
            live.put(ip, RelayEntry.of(ip, "bulk", t, Duration.ofHours(1)).encodeValue());
        }
        var changed = new java.util.HashSet<>(live.keySet());
        round(live, changed, 0, t);
        table.publish(live, changed);
        var stop = dir.resolve("stop");
        var readers = new ArrayList<Process>();
        for (int i = 0; i < 2; i++) {
            readers.add(new ProcessBuilder(javaCommand(RoundChecker.class.getName(), db.toString(), stop.toString()))
                    .redirectErrorStream(true).start());
        }
        int rounds = 0;
        var bases = new java.util.HashSet<Object>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long latest = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((System.nanoTime() < deadline || bases.size() < 3) && System.nanoTime() < latest) {
            changed = new java.util.HashSet<>();
            round(live, changed, ++rounds, t);
            table.publish(live, changed);
            bases.add(Files.readAttributes(db, "unix:ino").get("ino"));
        }
        Files.createFile(stop);
        assertTrue(bases.size() >= 3, "the writer wrote " + bases.size() + " bases in " + rounds + " rounds: the test proves nothing of a base replaced");
        for (var reader : readers) {
            assertTrue(reader.waitFor(60, TimeUnit.SECONDS), "reader did not stop");
            var out = new String(reader.getInputStream().readAllBytes()).trim();
            assertEquals(0, reader.exitValue(), out);
            assertTrue(out.matches("checked \\d+ snapshots, \\d+ generations"), out);
            int snapshots = Integer.parseInt(out.split(" ")[1]);
            assertTrue(snapshots > 10, "reader checked too little to mean anything: " + out);
        }
        try (var files = Files.list(dir)) {
            var deltas = files.filter(f -> f.getFileName().toString().startsWith("relay.db.delta-")).count();
            assertTrue(deltas <= 2, deltas + " deltas left beside the table: old ones are not removed");
        }
    }

    /** Round r: ten addresses of its own, the ten of round r-1 withdrawn, the sentinel naming r. */
    private static void round(java.util.TreeMap<String, byte[]> live, java.util.Set<String> changed, int r, Instant t) {
        for (int i = 0; i < 10; i++) {
            var old = roundAddress(r - 1, i);
            if (live.remove(old) != null) {
                changed.add(old);
            }
            var ip = roundAddress(r, i);
            live.put(ip, RelayEntry.of(ip, "round-" + r, t, Duration.ofHours(1)).encodeValue());
            changed.add(ip);
        }
        live.put(SENTINEL, RelayEntry.of(SENTINEL, "round-" + r, t, Duration.ofHours(1)).encodeValue());
        changed.add(SENTINEL);
    }

    /** The addresses of a round: 4096 rounds before one comes again, so the changes since a base keep growing. */
    static String roundAddress(int r, int i) {
        int n = Math.floorMod(r, 4096);
        return "172." + (16 + (n >> 8)) + "." + (n & 255) + "." + i;
    }

    /** A reader process of the large table: exit 1 on anything but one whole round. */
    public static final class RoundChecker {
        public static void main(String[] args) {
            checkUntilStopped(args, db -> {
                var read = RelayDatabase.openTable(db);
                var round = read.find(SENTINEL).orElseThrow(() -> new IllegalStateException("no sentinel")).user();
                int r = Integer.parseInt(round.substring("round-".length()));
                int[] counts = new int[3];
                read.forEach(e -> counts[e.user().equals("bulk") ? 0 : e.user().equals(round) ? 1 : 2]++);
                if (counts[0] != BULK || counts[1] != 11 || counts[2] != 0) {
                    throw new IllegalStateException(round + ": bulk, this round, other rounds = " + java.util.Arrays.toString(counts));
                }
                var before = roundAddress(r - 1, 3);
                if (r > 0 && read.find(before).isPresent()) {
                    throw new IllegalStateException(round + ": the round before's " + before + " is still there");
                }
                // relaylock's reader, on whatever round the name holds now: that round or a later one.
                var looked = RelayLookup.find(db, SENTINEL);
                if (looked.isEmpty() || Integer.parseInt(looked.get().user().substring("round-".length())) < r) {
                    throw new IllegalStateException("RelayLookup after " + round + " gave " + looked);
                }
                if (RelayLookup.find(db, "10.0.1.7").isEmpty() || RelayLookup.find(db, "10.250.0.1").isPresent()) {
                    throw new IllegalStateException("RelayLookup lost the bulk or found an address never published");
                }
                return round;
            });
        }
    }

    /** Generation g: a varying number of entries, all naming g, plus a sentinel that states the count. */
    static List<RelayEntry> generation(int g) {
        var t = Instant.parse("2026-11-22T10:00:00Z");
        int count = 100 + (g * 37) % 400;
        var entries = new ArrayList<RelayEntry>();
        for (int i = 0; i < count; i++) {
            entries.add(RelayEntry.of("10." + (i / 65536) + "." + (i / 256 % 256) + "." + (i % 256), "gen-" + g, t, Duration.ofMinutes(15)));
        }
        entries.add(RelayEntry.of(SENTINEL, "gen-" + g + " count-" + count, t, Duration.ofMinutes(15)));
        return entries;
    }

    static List<String> javaCommand(String mainClass, String... args) {
        var cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        var cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xmx64m", "-cp", cp, mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** A reader process: checks snapshots until the stop file appears; exit 1 on any error or inconsistency. */
    public static final class GenerationChecker {
        public static void main(String[] args) {
            checkUntilStopped(args, db -> {
                var read = RelayDatabase.open(db);
                var sentinel = read.find(SENTINEL).orElseThrow(() -> new IllegalStateException("no sentinel"));
                var parts = sentinel.user().split(" ");
                var gen = parts[0];
                int count = Integer.parseInt(parts[1].substring("count-".length()));
                var entries = read.entries();
                if (entries.size() != count + 1) {
                    throw new IllegalStateException(gen + ": " + entries.size() + " entries, sentinel says " + (count + 1));
                }
                for (var e : entries) {
                    if (!e.ip().equals(SENTINEL) && !e.user().equals(gen)) {
                        throw new IllegalStateException(gen + ": entry " + e + " from another generation");
                    }
                }
                var probe = read.find("10.0.0.99");
                if (probe.isEmpty() || !probe.get().user().equals(gen)) {
                    throw new IllegalStateException(gen + ": lookup of 10.0.0.99 gave " + probe);
                }
                // relaylock's own reader, on whatever generation the name holds now: always one whole.
                var looked = RelayLookup.find(db, "10.0.0.99");
                if (looked.isEmpty() || !looked.get().user().matches("gen-\\d+")) {
                    throw new IllegalStateException("RelayLookup of 10.0.0.99 gave " + looked);
                }
                if (RelayLookup.find(db, SENTINEL).isEmpty() || RelayLookup.find(db, "10.250.0.1").isPresent()) {
                    throw new IllegalStateException("RelayLookup lost the sentinel or found an address never published");
                }
                return gen;
            });
        }
    }

    /** One snapshot checked: the generation (or round) it was, or an exception saying what was wrong. */
    interface Snapshot {
        String check(Path db) throws Exception;
    }

    /**
     * A reader process's loop: checks snapshots of the database at {@code args[0]} until the file
     * {@code args[1]} appears (at least one); prints what it checked, or WRONG and exits 1.
     */
    static void checkUntilStopped(String[] args, Snapshot snapshot) {
        var db = Path.of(args[0]);
        var stop = Path.of(args[1]);
        int snapshots = 0;
        var seen = new java.util.HashSet<String>();
        try {
            while (!Files.exists(stop) || snapshots == 0) {
                seen.add(snapshot.check(db));
                snapshots++;
            }
        } catch (Exception e) {
            System.out.println("WRONG after " + snapshots + " snapshots: " + e);
            System.exit(1);
        }
        System.out.println("checked " + snapshots + " snapshots, " + seen.size() + " generations");
    }
}
