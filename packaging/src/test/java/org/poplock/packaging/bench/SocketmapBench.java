package org.poplock.packaging.bench;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Benchmark, not a test: lookups per second and latency of readlog's socketmap beside its policy
 * service, one readlog serving both from the same 10,000 live grants, on 1 and on 50 connections,
 * side by side in one run. Each connection sends one lookup (a netstring {@code drac ADDRESS}, as
 * sendmail's FEATURE(drac) asks) or one policy request, reads its answer, and again, for SECONDS;
 * half are for granted addresses.
 *
 * <p>Run: {@code bench/socketmap [SECONDS=10]}.
 */
public final class SocketmapBench {

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int entries = 10_000;
        var bin = Path.of(System.getProperty("poplock.bin", "packaging/bin")).toAbsolutePath();
        var dir = Files.createTempDirectory("poplock-socketmap-bench-");
        var log = new StringBuilder();
        for (int i = 0; i < entries; i++) {
            log.append(PublishLatency.line(Instant.now(), "10.0." + (i >> 8 & 255) + "." + (i & 255)));
        }
        Files.writeString(dir.resolve("mail.log"), log);
        int policyPort = PolicyBench.freePort();
        int mapPort = PolicyBench.freePort();
        var readlog = new ProcessBuilder(bin.resolve("readlog").toString(), "--log", dir.resolve("mail.log").toString(), "--db",
                dir.resolve("relay.db").toString(), "--policy", "inet:127.0.0.1:" + policyPort, "--socketmap", "inet:127.0.0.1:" + mapPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
        try {
            while (!"8:OK RELAY,".equals(ask(mapPort, "10.0.39.15"))) {
                Thread.sleep(50);
            }
            System.out.printf("lookups, %d live grants, %d s per run (p50/p99 per lookup)%n", entries, seconds);
            System.out.printf("%-34s %12s %10s %10s %8s %8s%n", "server, connections", "lookups/s", "p50 ms", "p99 ms", "ratio", "CPU µs");
            for (int connections : new int[] {1, 50}) {
                var policy = PolicyBench.run(policyPort, connections, seconds, readlog);
                var map = PolicyBench.run(mapPort, connections, seconds, readlog, SocketmapBench::lookup, SocketmapBench::readNetstring);
                print("readlog --policy, " + connections, policy, policy.rate());
                print("readlog --socketmap, " + connections, map, policy.rate());
            }
        } finally {
            readlog.destroy();
            readlog.waitFor();
        }
    }

    private static void print(String what, PolicyBench.Run r, double baseline) {
        System.out.printf("%-34s %12.0f %10.3f %10.3f %7.2fx %8.1f%n", what, r.rate(), r.p50(), r.p99(), r.rate() / baseline, r.cpuMicros());
    }

    static byte[] lookup(String ip) {
        var text = "drac " + ip;
        return (text.length() + ":" + text + ",").getBytes(StandardCharsets.US_ASCII);
    }

    /** One netstring reply, read whole. */
    static void readNetstring(InputStream in) throws Exception {
        int length = 0;
        int b;
        while ((b = in.read()) != ':') {
            if (b < '0' || b > '9') {
                throw new IllegalStateException("not a netstring");
            }
            length = length * 10 + b - '0';
        }
        if (in.readNBytes(length + 1).length != length + 1) {
            throw new IllegalStateException("closed");
        }
    }

    private static String ask(int port, String ip) {
        try (var s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(lookup(ip));
            return new String(s.getInputStream().readNBytes(11), StandardCharsets.US_ASCII);
        } catch (Exception e) {
            return null;
        }
    }
}
