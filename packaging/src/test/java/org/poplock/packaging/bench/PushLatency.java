package org.poplock.packaging.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.poplock.packaging.DovecotServer;

/**
 * Benchmark, not a test: the time from a real POP3 login (curl against the real Dovecot) to a
 * published grant, by the two ways readlog can hear of it, side by side in one run: readlog A
 * follows Dovecot's log file, readlog B is Dovecot's auth policy server. Both clocks start when
 * the client is started, so the comparison is fair; prints n, p50, p99 and max of each and B/A.
 *
 * <p>Run as root (Dovecot's vmail user, as .ci/run makes it): {@code bench/push-latency [LOGINS=200]}.
 */
public final class PushLatency {

    public static void main(String[] args) throws Exception {
        int logins = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        var bin = Path.of(System.getProperty("poplock.bin", "packaging/bin")).toAbsolutePath();
        var dir = Files.createTempDirectory("poplock-push-");
        int policyPort = PolicyBench.freePort();
        var secret = dir.resolve("secret");
        Files.writeString(secret, "bench-secret-0123456789\n");
        var dovecot = DovecotServer.start(dir, List.of("alice:secret"), """
                auth_policy_server_url = http://127.0.0.1:%d/
                auth_policy_server_api_header = Authorization: Bearer bench-secret-0123456789
                auth_policy_hash_nonce = bench
                auth_policy_request_attributes = login=%%{requested_username} remote=%%{rip} protocol=%%s
                auth_policy_check_before_auth = no
                auth_policy_check_after_auth = no
                auth_policy_report_after_auth = yes
                """.formatted(policyPort));
        var logDb = dir.resolve("log/relay.db");
        var pushDb = dir.resolve("push/relay.db");
        Files.createDirectories(logDb.getParent());
        Files.createDirectories(pushDb.getParent());
        var byLog = new ProcessBuilder(bin.resolve("readlog").toString(), "--log", dovecot.log.toString(), "--db", logDb.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log.out").toFile()).start();
        var byPush = new ProcessBuilder(bin.resolve("readlog").toString(), "--dovecot-policy", "inet:127.0.0.1:" + policyPort,
                "--dovecot-policy-secret-file", secret.toString(), "--db", pushDb.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("push.out").toFile()).start();
        try {
            while (PublishLatency.count(logDb) < 0 || PublishLatency.count(pushDb) < 0) {
                Thread.sleep(20);
            }
            var startedLog = new ConcurrentHashMap<String, Long>();
            var startedPush = new ConcurrentHashMap<String, Long>();
            var viaLog = Collections.synchronizedList(new ArrayList<Long>());
            var viaPush = Collections.synchronizedList(new ArrayList<Long>());
            for (var w : List.of(new Thread(() -> PublishLatency.watch(logDb, startedLog, viaLog)),
                    new Thread(() -> PublishLatency.watch(pushDb, startedPush, viaPush)))) {
                w.setDaemon(true);
                w.start();
            }
            int failed = 0;
            var clients = new ArrayList<Long>();
            for (int i = 0; i < logins; i++) {
                var ip = "127.1." + (i >> 8 & 255) + "." + (1 + (i & 127));
                long t0 = System.nanoTime();
                startedLog.put(ip, t0);
                startedPush.put(ip, t0);
                if (!dovecot.login("pop3", ip, "127.0.0.1", "alice", "secret")) {
                    failed++;
                }
                clients.add(System.nanoTime() - t0);
                // One login at a time: the next waits until both have published this one (or 5 s).
                long deadline = System.nanoTime() + 5_000_000_000L;
                while ((startedLog.containsKey(ip) || startedPush.containsKey(ip)) && System.nanoTime() < deadline) {
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
            }
            var a = sorted(viaLog);
            var b = sorted(viaPush);
            System.out.printf("login to published grant, %d POP3 logins (curl, real Dovecot), %d failed:%n", logins, failed);
            System.out.printf("  A log file (--log):            n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms, lost=%d%n", a.size(),
                    PublishLatency.ms(PublishLatency.pct(a, 50)), PublishLatency.ms(PublishLatency.pct(a, 99)), PublishLatency.ms(a.get(a.size() - 1)),
                    startedLog.size());
            System.out.printf("  B Dovecot's report (--dovecot-policy): n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms, lost=%d%n", b.size(),
                    PublishLatency.ms(PublishLatency.pct(b, 50)), PublishLatency.ms(PublishLatency.pct(b, 99)), PublishLatency.ms(b.get(b.size() - 1)),
                    startedPush.size());
            Collections.sort(clients);
            System.out.printf("  (the client itself, curl start to exit: p50=%.1f ms)%n", PublishLatency.ms(PublishLatency.pct(clients, 50)));
            System.out.printf("  B/A: p50 x%.2f, p99 x%.2f%n", (double) PublishLatency.pct(b, 50) / PublishLatency.pct(a, 50),
                    (double) PublishLatency.pct(b, 99) / PublishLatency.pct(a, 99));
        } finally {
            byLog.destroy();
            byPush.destroy();
            byLog.waitFor();
            byPush.waitFor();
            dovecot.close();
        }
    }

    private static List<Long> sorted(List<Long> values) {
        synchronized (values) {
            var out = new ArrayList<>(values);
            Collections.sort(out);
            return out;
        }
    }
}
