package org.poplock.packaging.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Benchmark, not a test: readlog's listeners unattacked and attacked, side by side in one run.
 * readlog (its launcher as shipped, 10,000 live grants) serves the policy service, Dovecot's
 * reports and /health. Each phase measures 50 policy connections asking in turn for SECONDS
 * (requests/s, p50, p99), Dovecot reports posted one after another (p50, p99), and /health. The
 * attack, kept up for the whole attacked phase (each attacker connects again when it is closed):
 * 300 policy clients that send half a request and stall, 20 that send endless 16 KiB lines, and 64
 * HTTP clients that send half a header and stall (48 at Dovecot's port, 16 at /metrics'). At the
 * end, readlog's peak and current RSS. With {@code POPLOCK_OLD_LIB=DIR} (another build's
 * packaging/target/lib), a readlog on those jars is measured after this build's, in the same run.
 *
 * <p>Run: {@code [POPLOCK_OLD_LIB=DIR] bench/hostile [SECONDS=10]}.
 */
public final class HostileBench {

    private static final String SECRET = "a-secret-for-the-hostile-bench";
    private static final String REPORT = "{\"login\":\"alice\",\"remote\":\"203.0.113.5\",\"protocol\":\"pop3\",\"success\":true}";

    private static volatile boolean attacking;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        var oldLib = System.getenv("POPLOCK_OLD_LIB");
        var bin = Path.of(System.getProperty("poplock.bin", "packaging/bin")).toAbsolutePath();
        var dir = Files.createTempDirectory("poplock-hostile-bench-");
        var log = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            log.append(PublishLatency.line(Instant.now(), "10.0." + (i >> 8 & 255) + "." + (i & 255)));
        }
        Files.writeString(dir.resolve("mail.log"), log);
        Files.writeString(dir.resolve("secret"), SECRET + "\n");
        System.out.printf("readlog's listeners, 10,000 live grants, %d s per phase%n", seconds);
        System.out.printf("%-16s %22s %16s %16s %16s %8s%n", "", "50 policy conns req/s", "policy p50/p99", "report p50/p99", "reports", "/health");
        measure(bin, dir, "this build", null, seconds);
        if (oldLib != null) {
            measure(bin, dir, "old", oldLib, seconds);
        }
    }

    /** One readlog (this build's jars, or {@code lib}'s) unattacked, then attacked; its rows and RSS printed. */
    private static void measure(Path bin, Path dir, String label, String lib, int seconds) throws Exception {
        int policy = PolicyBench.freePort();
        int dovecot = PolicyBench.freePort();
        int metrics = PolicyBench.freePort();
        var name = lib == null ? "new" : "old";
        var pb = new ProcessBuilder(bin.resolve("readlog").toString(), "--log", dir.resolve("mail.log").toString(), "--db",
                dir.resolve(name + ".db").toString(), "--state", dir.resolve(name + ".state").toString(), "--policy", "inet:127.0.0.1:" + policy,
                "--dovecot-policy", "inet:127.0.0.1:" + dovecot, "--dovecot-policy-secret-file", dir.resolve("secret").toString(),
                "--metrics", "inet:127.0.0.1:" + metrics).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".out").toFile());
        if (lib != null) {
            pb.environment().put("POPLOCK_LIB", lib);
        }
        var readlog = pb.start();
        var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        var attackers = new ArrayList<Thread>();
        try {
            while (!health(http, metrics).equals("200")) {
                Thread.sleep(50);
            }
            Thread.sleep(2000); // the 10,000 grants read
            var quiet = phase(http, policy, dovecot, metrics, seconds);
            attacking = true;
            for (int i = 0; i < 300; i++) {
                attackers.add(attacker(policy, "request=smtpd_access_policy\nclient_add".getBytes(StandardCharsets.US_ASCII), false));
            }
            var line = ("x=" + "a".repeat(16 * 1024 - 3) + "\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 20; i++) {
                attackers.add(attacker(policy, line, true));
            }
            for (int i = 0; i < 64; i++) {
                attackers.add(attacker(i < 48 ? dovecot : metrics,
                        "POST /?command=report HTTP/1.1\r\nHost: x\r\nAuthor".getBytes(StandardCharsets.US_ASCII), false));
            }
            Thread.sleep(2000); // all of them connected
            var attacked = phase(http, policy, dovecot, metrics, seconds);
            var rss = rss(readlog.pid());
            print(label + ", quiet", quiet, quiet);
            print(label + ", attacked", attacked, quiet);
            System.out.printf("%s: readlog RSS at the end: %s%n", label, rss);
        } finally {
            attacking = false;
            for (var t : attackers) {
                t.interrupt();
            }
            readlog.destroy();
            readlog.waitFor();
            for (var t : attackers) {
                t.join(10_000); // readlog gone, their sockets are closed: the next phase starts without them
            }
        }
    }

    record Phase(PolicyBench.Run policy, double reportP50, double reportP99, int reports, String health) {
    }

    private static void print(String what, Phase p, Phase base) {
        System.out.printf("%-16s %14.0f (%3.0f %%) %7.2f/%6.2f ms %7.2f/%6.2f ms %16d %8s%n", what, p.policy().rate(),
                100 * p.policy().rate() / base.policy().rate(), p.policy().p50(), p.policy().p99(), p.reportP50(), p.reportP99(), p.reports(),
                p.health());
    }

    /** The policy clients for SECONDS, Dovecot's reports posted in turn meanwhile, then /health. */
    private static Phase phase(HttpClient http, int policy, int dovecot, int metrics, int seconds) throws Exception {
        var times = new long[1_000_000];
        int[] n = {0};
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        var reporter = new Thread(() -> {
            // A keep-alive connection, each request in one write, as Dovecot's HTTP client sends it.
            var body = REPORT.getBytes(StandardCharsets.US_ASCII);
            var request = ("POST /?command=report HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + SECRET
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n" + REPORT)
                    .getBytes(StandardCharsets.US_ASCII);
            Socket s = null;
            while (System.nanoTime() < end && n[0] < times.length) {
                long t0 = System.nanoTime();
                try {
                    if (s == null) {
                        s = new Socket("127.0.0.1", dovecot);
                        s.setTcpNoDelay(true);
                        s.setSoTimeout(10_000);
                    }
                    s.getOutputStream().write(request);
                    readResponse(s.getInputStream());
                    times[n[0]++] = System.nanoTime() - t0;
                } catch (IOException e) {
                    times[n[0]++] = System.nanoTime() - t0; // closed: counted with the time it took, then again
                    closeQuietly(s);
                    s = null;
                }
                try {
                    Thread.sleep(5); // Dovecot reports logins, not a flood
                } catch (InterruptedException e) {
                    break;
                }
            }
            closeQuietly(s);
        });
        reporter.start();
        var run = PolicyBench.run(policy, 50, seconds);
        reporter.join();
        var reports = Arrays.copyOf(times, n[0]);
        Arrays.sort(reports);
        return new Phase(run, reports[reports.length / 2] / 1e6, reports[(int) (reports.length * 0.99)] / 1e6, reports.length,
                health(http, metrics));
    }

    /** One HTTP response, read to the end of its Content-Length body. */
    private static void readResponse(java.io.InputStream in) throws IOException {
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed");
            }
            head.append((char) b);
        }
        var m = java.util.regex.Pattern.compile("(?i)content-length: *([0-9]+)").matcher(head);
        if (!head.toString().startsWith("HTTP/1.1 200") || !m.find() || in.readNBytes(Integer.parseInt(m.group(1))).length == 0) {
            throw new IOException("not answered 200: " + head);
        }
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // gone
            }
        }
    }

    private static String health(HttpClient http, int metrics) {
        try {
            return "" + http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics + "/health")).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return "none";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "none";
        }
    }

    /** One hostile client: sends {@code bytes} (again and again when {@code endless}) and then holds on; connects again when closed. */
    private static Thread attacker(int port, byte[] bytes, boolean endless) {
        var t = new Thread(() -> {
            while (attacking) {
                try (var s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    var out = s.getOutputStream();
                    do {
                        out.write(bytes);
                    } while (endless && attacking);
                    while (attacking && s.getInputStream().read() >= 0) {
                        // whatever it is answered, it waits on
                    }
                } catch (IOException e) {
                    // closed by readlog: again
                }
                if (attacking) {
                    try {
                        Thread.sleep(endless ? 0 : 100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Peak and current resident size from /proc: VmHWM, VmRSS. */
    private static String rss(long pid) throws IOException {
        // The launcher execs java: the JVM is the process started.
        var status = Files.readAllLines(Path.of("/proc/" + pid + "/status"));
        return status.stream().filter(l -> l.startsWith("VmHWM") || l.startsWith("VmRSS")).map(l -> l.replaceAll("\\s+", " "))
                .reduce((a, b) -> a + ", " + b).orElse("?");
    }
}
