package org.poplock.packaging.bench;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Benchmark, not a test: requests per second and latency of readlog's policy service against a
 * Perl policy server of the usual kind (bench/perl-policy.pl: a process per connection, a hash),
 * both holding the same 10,000 live grants, on 1 and on 50 connections, side by side in one run.
 * Each connection sends one request, reads its answer, and again, for SECONDS; half the
 * requests are for granted addresses. With {@code POPLOCK_OLD_LIB=DIR} (another build's
 * packaging/target/lib), a second readlog on those jars is measured in the same run, its runs
 * taking turns with this build's, ROUNDS times: two designs side by side on the same machine load.
 *
 * <p>Run: {@code [POPLOCK_OLD_LIB=DIR] bench/policy [SECONDS=10] [ROUNDS=1]}.
 */
public final class PolicyBench {

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        var oldLib = System.getenv("POPLOCK_OLD_LIB");
        int entries = 10_000;
        var bin = Path.of(System.getProperty("poplock.bin", "packaging/bin")).toAbsolutePath();
        var dir = Files.createTempDirectory("poplock-policy-bench-");
        var log = new StringBuilder();
        var ips = new StringBuilder();
        var owners = new StringBuilder("@example.com ");
        for (int i = 0; i < entries; i++) {
            var ip = "10.0." + (i >> 8 & 255) + "." + (i & 255);
            log.append(PublishLatency.line(Instant.now(), ip));
            ips.append(ip).append('\n');
            owners.append(i == 0 ? "" : ",").append("u").append(ip);
        }
        Files.writeString(dir.resolve("mail.log"), log);
        Files.writeString(dir.resolve("ips"), ips);
        Files.writeString(dir.resolve("senders"), owners.append('\n'));
        int javaPort = freePort();
        int boundPort = freePort();
        int perlPort = freePort();
        int oldPort = freePort();
        var readlog = readlog(bin, dir, "new", javaPort, null);
        var old = oldLib == null ? null : readlog(bin, dir, "old", oldPort, oldLib);
        // The same with the sender bound to the users (every sender owned, as in real traffic), shared addresses and flags as by default.
        var bound = readlog(bin, dir, "bound", boundPort, null, "--policy-sender", "login", "--sender-login-map", dir.resolve("senders").toString());
        var perl = new ProcessBuilder("perl", Path.of("bench/perl-policy.pl").toAbsolutePath().toString(), "" + perlPort,
                dir.resolve("ips").toString()).redirectErrorStream(true).start();
        try {
            new BufferedReader(new InputStreamReader(perl.getInputStream())).readLine(); // "ready"
            while (!"action=OK".equals(ask(javaPort, "10.0.39.15")) || !"action=OK".equals(ask(boundPort, "10.0.39.15"))
                    || old != null && !"action=OK".equals(ask(oldPort, "10.0.39.15"))) {
                Thread.sleep(50);
            }
            System.out.printf("policy requests, %d live grants, %d s per run (p50/p99 per request)%n", entries, seconds);
            System.out.printf("%-34s %12s %10s %10s %8s %8s%n", "server, connections", "requests/s", "p50 ms", "p99 ms", "ratio", "CPU µs/req");
            for (int round = 1; round <= rounds; round++) {
                for (int connections : new int[] {1, 50}) {
                    var perlRun = run(perlPort, connections, seconds);
                    print("Perl, fork per connection, " + connections, perlRun, perlRun.rate);
                    if (old != null) {
                        print("readlog --policy " + oldLib.replaceFirst(".*/(.*)/packaging/target/lib/?$", "$1") + ", " + connections,
                                run(oldPort, connections, seconds, old), perlRun.rate);
                    }
                    var javaRun = run(javaPort, connections, seconds, readlog);
                    var boundRun = run(boundPort, connections, seconds, bound);
                    print("readlog --policy, " + connections, javaRun, perlRun.rate);
                    print("  --policy-sender login, " + connections, boundRun, perlRun.rate);
                    System.out.printf("%-34s %11.0f%%%n", "  sender binding on / off", 100 * boundRun.rate / javaRun.rate);
                }
            }
        } finally {
            readlog.destroy();
            bound.destroy();
            bound.waitFor();
            perl.destroy();
            readlog.waitFor();
            if (old != null) {
                old.destroy();
                old.waitFor();
            }
            new ProcessBuilder("pkill", "-f", "perl-policy.pl " + perlPort).start().waitFor();
        }
    }

    /** readlog on this build's jars ({@code lib} null) or on {@code lib}'s, with its own database, answering on {@code port}. */
    static Process readlog(Path bin, Path dir, String name, int port, String lib, String... more) throws IOException {
        var command = new ArrayList<>(List.of(bin.resolve("readlog").toString(), "--log", dir.resolve("mail.log").toString(), "--db",
                dir.resolve(name + ".db").toString(), "--state", dir.resolve(name + ".state").toString(), "--policy", "inet:127.0.0.1:" + port));
        command.addAll(List.of(more));
        var pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".out").toFile());
        if (lib != null) {
            pb.environment().put("POPLOCK_LIB", lib);
        }
        return pb.start();
    }

    /** Requests per second, latency, and the server's CPU time per request in µs (NaN when not measured). */
    record Run(double rate, double p50, double p99, double cpuMicros) {
    }

    private static void print(String what, Run r, double baseline) {
        System.out.printf("%-34s %12.0f %10.3f %10.3f %7.2fx %8.1f%n", what, r.rate, r.p50, r.p99, r.rate / baseline, r.cpuMicros);
    }

    static Run run(int port, int connections, int seconds) throws Exception {
        return run(port, connections, seconds, null);
    }

    /**
     * CPU time (user and system, all threads) that {@code server} spent, in µs: on a machine shared
     * with other work, a design's latency also depends on how many threads compete for the cores,
     * its cost per request does not.
     */
    static double cpuMicros(Process server) {
        try {
            var stat = Files.readString(Path.of("/proc/" + server.pid() + "/stat"));
            var f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000.0; // fields 14 and 15, in ticks of 10 ms
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static Run run(int port, int connections, int seconds, Process server) throws Exception {
        return run(port, connections, seconds, server, PolicyBench::request, PolicyBench::readReply);
    }

    /** How a client of one protocol reads a whole reply. */
    interface ReplyReader {
        void read(InputStream in) throws Exception;
    }

    /** {@code connections} clients each sending {@code request(ip)} and reading the reply with {@code reader} in turn, for {@code seconds}. */
    static Run run(int port, int connections, int seconds, Process server, Function<String, byte[]> request, ReplyReader reader) throws Exception {
        double cpuBefore = server == null ? Double.NaN : cpuMicros(server);
        var latencies = Collections.synchronizedList(new ArrayList<long[]>());
        var total = new AtomicLong();
        var threads = new ArrayList<Thread>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int c = 0; c < connections; c++) {
            int seed = c;
            var t = new Thread(() -> {
                var mine = new long[4_000_000 / connections];
                int n = 0;
                try (var s = new Socket("127.0.0.1", port)) {
                    s.setTcpNoDelay(true);
                    var out = s.getOutputStream();
                    var in = new BufferedInputStream(s.getInputStream()); // a reply in one read, as Postfix reads it
                    int i = seed;
                    while (System.nanoTime() < end && n < mine.length) {
                        var ip = (i++ & 1) == 0 ? "10.0." + (i >> 8 & 39) + "." + (i & 255) : "192.0.2." + (i & 255);
                        long t0 = System.nanoTime();
                        out.write(request.apply(ip));
                        reader.read(in);
                        mine[n++] = System.nanoTime() - t0;
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
                latencies.add(java.util.Arrays.copyOf(mine, n));
                total.addAndGet(n);
            });
            threads.add(t);
            t.start();
        }
        for (var t : threads) {
            t.join();
        }
        var all = new long[(int) total.get()];
        int k = 0;
        for (var l : latencies) {
            System.arraycopy(l, 0, all, k, l.length);
            k += l.length;
        }
        java.util.Arrays.sort(all);
        double cpu = server == null ? Double.NaN : (cpuMicros(server) - cpuBefore) / all.length;
        return new Run(all.length / (double) seconds, all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6, cpu);
    }

    static byte[] request(String ip) {
        return ("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=" + ip
                + "\nclient_name=unknown\nhelo_name=client.example\nsender=a@example.com\nrecipient=b@example.net\n"
                + "recipient_count=0\nqueue_id=\ninstance=1a2b.3c4d.5e6f.0\nsize=0\n\n").getBytes(StandardCharsets.US_ASCII);
    }

    static void readReply(InputStream in) throws Exception {
        int newlines = 0;
        while (newlines < 2) {
            int b = in.read();
            if (b < 0) {
                throw new IllegalStateException("closed");
            }
            newlines = b == '\n' ? newlines + 1 : 0;
        }
    }

    private static String ask(int port, String ip) {
        try (var s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(request(ip));
            var reply = new String(s.getInputStream().readNBytes(11), StandardCharsets.US_ASCII);
            return reply.trim();
        } catch (Exception e) {
            return null;
        }
    }

    /** A TCP port free on loopback now, for a server the benchmark starts. */
    static int freePort() throws java.io.IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
