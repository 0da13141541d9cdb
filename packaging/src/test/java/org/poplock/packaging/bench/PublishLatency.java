package org.poplock.packaging.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayLookup;

/**
 * Benchmark, not a test: the time from a Dovecot login line being appended to a followed log to the
 * published database containing it, with {@code ENTRIES} live entries and a steady {@code RATE}
 * logins per second, through the real readlog launcher. Prints p50, p99 and max, and what readlog
 * wrote and the CPU it used meanwhile.
 *
 * <p>Run: {@code bench/publish-latency [ENTRIES] [RATE] [SECONDS] [expiring]} (after {@code mvn -B -q -DskipTests package}
 * with test classes built: {@code mvn -B -q -DskipTests test-compile package}).
 */
public final class PublishLatency {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);

    public static void main(String[] args) throws Exception {
        int entries = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        // "expiring": the initial logins spread over the last 15 minutes (the timeout), so that as
        // many expire each second as the rate brings, as at a provider in its steady state.
        boolean expiring = args.length > 3 && args[3].equals("expiring");
        var bin = Path.of(System.getProperty("poplock.bin", "packaging/bin")).toAbsolutePath();
        var dir = Files.createTempDirectory("poplock-latency-");
        var log = dir.resolve("mail.log");
        var db = dir.resolve("relay.db");

        Files.writeString(log, expiring ? initialLog(entries, java.time.Duration.ofMinutes(15).minusSeconds(seconds + 60)) : initialLog(entries));
        var readlog = new ProcessBuilder(bin.resolve("readlog").toString(), "--log", log.toString(), "--db", db.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
        try {
            while (count(db) < entries * (expiring ? 0.9 : 1.0)) {
                Thread.sleep(20);
            }
            var appended = new ConcurrentHashMap<String, Long>();
            var latencies = Collections.synchronizedList(new ArrayList<Long>());
            var watcher = new Thread(() -> watch(db, appended, latencies));
            watcher.setDaemon(true);
            watcher.start();

            long writtenBefore = written(readlog.pid());
            long cpuBefore = cpuTicks(readlog.pid());
            long interval = 1_000_000_000L / rate;
            long start = System.nanoTime();
            int total = rate * seconds;
            for (int i = 0; i < total; i++) {
                long due = start + i * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
                var ip = "172." + (16 + (i >> 16 & 15)) + "." + (i >> 8 & 255) + "." + (i & 255);
                Files.writeString(log, line(Instant.now(), ip), StandardOpenOption.APPEND);
                appended.put(ip, System.nanoTime());
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!appended.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            double mbPerSecond = (written(readlog.pid()) - writtenBefore) / 1e6 / seconds;
            double cpuPercent = (cpuTicks(readlog.pid()) - cpuBefore) * 100.0 / TICKS_PER_SECOND / seconds;
            long peakKib = status(readlog.pid(), "VmHWM:");
            List<Long> sorted;
            synchronized (latencies) {
                sorted = new ArrayList<>(latencies);
            }
            Collections.sort(sorted);
            System.out.printf("publish latency, %d live entries%s, %d logins/s for %d s: n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms, lost=%d, readlog wrote %.1f MB/s, used %.0f %% of a core, peak RSS %d MiB%n",
                    entries, expiring ? " expiring as they come" : "", rate, seconds, sorted.size(), ms(pct(sorted, 50)), ms(pct(sorted, 99)), ms(sorted.get(sorted.size() - 1)),
                    appended.size(), mbPerSecond, cpuPercent, peakKib / 1024);
        } finally {
            readlog.destroy();
            readlog.waitFor();
        }
    }

    static void watch(Path db, Map<String, Long> appended, List<Long> latencies) {
        Object lastKey = null;
        while (true) {
            try {
                // A publish renames a file into the directory (the table, or its delta when large): its mtime moves.
                var key = Files.readAttributes(db.getParent(), "unix:ctime");
                if (!key.equals(lastKey)) {
                    lastKey = key;
                    // Each address looked up as relaylock looks it up (RelayLookup: the few blocks
                    // the search touches), not through showallowed's reader, which checks every
                    // count of the whole table (tens of ms at a million) before it answers. Each
                    // login is charged the moment the publish was seen plus its own lookup, not
                    // the lookups of the others before it.
                    var waiting = List.copyOf(appended.keySet()); // each appended before the publish was seen
                    long seen = System.nanoTime();
                    for (var ip : waiting) {
                        long asked = System.nanoTime();
                        if (RelayLookup.find(db, ip).isPresent()) {
                            latencies.add(seen - appended.remove(ip) + System.nanoTime() - asked);
                        }
                    }
                }
            } catch (IOException e) {
                // between rename and read: try again
            }
            // Poll the name every 0.5 ms: fine enough for the figures, without taking a core from readlog.
            java.util.concurrent.locks.LockSupport.parkNanos(500_000);
        }
    }

    /** Bytes readlog (the launcher's java, its only child) has written so far: the publishes and the state snapshots. */
    static long written(long launcher) throws IOException {
        long pid = ProcessHandle.of(launcher).flatMap(p -> p.descendants().findFirst()).map(ProcessHandle::pid).orElse(launcher);
        for (var line : Files.readAllLines(Path.of("/proc/" + pid + "/io"))) {
            if (line.startsWith("wchar: ")) {
                return Long.parseLong(line.substring(7).trim());
            }
        }
        return 0;
    }

    /** The kernel's clock ticks a second, in which /proc/PID/stat counts CPU time (USER_HZ, 100 on Linux). */
    private static final int TICKS_PER_SECOND = 100;

    /**
     * The CPU time readlog (the launcher's java) has used so far, user and system, in clock ticks:
     * its work per login, which other programs on the machine do not change as they change latency.
     */
    static long cpuTicks(long launcher) throws IOException {
        long pid = ProcessHandle.of(launcher).flatMap(p -> p.descendants().findFirst()).map(ProcessHandle::pid).orElse(launcher);
        var stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime and stime, the 14th and 15th fields
    }

    /** A field of readlog's /proc/PID/status (the launcher's java, its only child), in KiB. */
    static long status(long launcher, String field) throws IOException {
        long pid = ProcessHandle.of(launcher).flatMap(p -> p.descendants().findFirst()).map(ProcessHandle::pid).orElse(launcher);
        for (var line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        return 0;
    }

    static int count(Path db) {
        try {
            int[] n = {0};
            RelayDatabase.openTable(db).forEach(e -> n[0]++);
            return n[0];
        } catch (IOException e) {
            return -1;
        }
    }

    /** {@code entries} logins from 10.0.0.0 on, each a live grant once read. */
    static String initialLog(int entries) {
        return initialLog(entries, java.time.Duration.ZERO);
    }

    /** As {@link #initialLog(int)}, the logins' times spread evenly over the {@code spread} before now, oldest first. */
    static String initialLog(int entries, java.time.Duration spread) {
        var initial = new StringBuilder();
        var now = Instant.now();
        for (int i = 0; i < entries; i++) {
            var t = now.minusMillis(spread.toMillis() * (entries - i) / entries);
            initial.append(line(t, "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255)));
        }
        return initial.toString();
    }

    static String line(Instant t, String ip) {
        return STAMP.format(t) + " mail dovecot: pop3-login: Login: user=<u" + ip + ">, method=PLAIN, rip=" + ip
                + ", lip=192.0.2.1, mpid=1, TLS, session=<x>\n";
    }

    static long pct(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
