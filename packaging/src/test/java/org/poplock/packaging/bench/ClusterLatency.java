package org.poplock.packaging.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Benchmark, not a test: a login line appended on a POP host's log, to the published database of
 * that host (single host) and of an SMTP host that has it from the cluster, side by side in one
 * run; a private redis-server on loopback, both readlogs through the real launcher. Prints p50
 * and p99 of each, and the SMTP host's heap after a full GC and its peak RSS.
 *
 * <p>Run: {@code bench/cluster-latency [ENTRIES=10000] [RATE=100] [SECONDS=20]}.
 */
public final class ClusterLatency {

    public static void main(String[] args) throws Exception {
        int entries = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        var bin = Path.of(System.getProperty("poplock.bin", "packaging/bin")).toAbsolutePath();
        var dir = Files.createTempDirectory("poplock-cluster-latency-");
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        var redis = new ProcessBuilder("redis-server", "--port", "" + port, "--bind", "127.0.0.1", "--save", "", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.out").toFile()).start();
        var url = "redis://127.0.0.1:" + port + "/0";
        var log = Files.createDirectories(dir.resolve("pop")).resolve("mail.log");
        var popDb = dir.resolve("pop/relay.db");
        var smtpDb = Files.createDirectories(dir.resolve("smtp")).resolve("relay.db");
        Files.writeString(log, PublishLatency.initialLog(entries));
        Thread.sleep(300); // redis-server binds at once; readlog retries anyway
        var pop = new ProcessBuilder(bin.resolve("readlog").toString(), "--log", log.toString(), "--db", popDb.toString(), "--cluster", url,
                "--cluster-host", "pop").redirectErrorStream(true).redirectOutput(dir.resolve("pop.out").toFile()).start();
        var smtp = new ProcessBuilder(bin.resolve("readlog").toString(), "--db", smtpDb.toString(), "--cluster", url, "--cluster-host", "smtp")
                .redirectErrorStream(true).redirectOutput(dir.resolve("smtp.out").toFile()).start();
        try {
            while (PublishLatency.count(smtpDb) < entries) {
                Thread.sleep(50);
            }
            var appendedPop = new ConcurrentHashMap<String, Long>();
            var appendedSmtp = new ConcurrentHashMap<String, Long>();
            var onPop = Collections.synchronizedList(new ArrayList<Long>());
            var onSmtp = Collections.synchronizedList(new ArrayList<Long>());
            for (var w : List.of(new Thread(() -> PublishLatency.watch(popDb, appendedPop, onPop)),
                    new Thread(() -> PublishLatency.watch(smtpDb, appendedSmtp, onSmtp)))) {
                w.setDaemon(true);
                w.start();
            }
            long interval = 1_000_000_000L / rate;
            long start = System.nanoTime();
            for (int i = 0; i < rate * seconds; i++) {
                long wait = start + i * interval - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                var ip = "172." + (16 + (i >> 16 & 15)) + "." + (i >> 8 & 255) + "." + (i & 255);
                Files.writeString(log, PublishLatency.line(Instant.now(), ip), StandardOpenOption.APPEND);
                long t = System.nanoTime();
                appendedPop.put(ip, t);
                appendedSmtp.put(ip, t);
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((!appendedPop.isEmpty() || !appendedSmtp.isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            System.out.printf("login line to published, %d live entries, %d logins/s for %d s:%n", entries, rate, seconds);
            report("single host (the POP host's own database)", onPop, appendedPop.size());
            report("cluster (the SMTP host's database, through Redis)", onSmtp, appendedSmtp.size());
            var jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            new ProcessBuilder(jcmd, "" + smtp.pid(), "GC.run").redirectErrorStream(true).start().waitFor();
            var heap = new String(new ProcessBuilder(jcmd, "" + smtp.pid(), "GC.heap_info").redirectErrorStream(true).start()
                    .getInputStream().readAllBytes());
            long usedK = 0;
            var m = java.util.regex.Pattern.compile("generation +total \\d+K, used (\\d+)K").matcher(heap);
            while (m.find()) {
                usedK += Long.parseLong(m.group(1));
            }
            var used = usedK > 0 ? "heap used " + usedK / 1024 + " MiB" : heap.strip();
            var rss = Files.readAllLines(Path.of("/proc/" + smtp.pid() + "/status")).stream().filter(l -> l.startsWith("VmHWM")).findFirst()
                    .orElse("?").replaceAll("\\s+", " ");
            System.out.println("SMTP host after a full GC: " + used + "; peak RSS " + rss);
        } finally {
            pop.destroy();
            smtp.destroy();
            pop.waitFor();
            smtp.waitFor();
            redis.destroyForcibly();
        }
    }

    private static void report(String what, List<Long> latencies, int lost) {
        List<Long> sorted;
        synchronized (latencies) {
            sorted = new ArrayList<>(latencies);
        }
        Collections.sort(sorted);
        System.out.printf("  %-52s n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms lost=%d%n", what, sorted.size(),
                PublishLatency.ms(PublishLatency.pct(sorted, 50)), PublishLatency.ms(PublishLatency.pct(sorted, 99)),
                PublishLatency.ms(sorted.get(sorted.size() - 1)), lost);
    }
}
