package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard and the Prometheus alerting rules the package installs name only metrics
 * readlog's /metrics really serves: a readlog through the real launcher with every source and
 * listener that adds metrics (a log, a FIFO, the policy service, Dovecot's reports, the tcprules
 * CDB, a cluster on a private Redis with a second readlog whose login it applies), asked after a
 * login of each kind. The rules also pass promtool's check.
 */
class MonitoringIT {

    static final Path MONITORING = Path.of("src/deb/monitoring").toAbsolutePath();

    /** A name every series of the rules and dashboard may use besides readlog's: Prometheus's own scrape status. */
    static final Set<String> PROMETHEUS_OWN = Set.of("up");

    @TempDir
    Path dir;

    @RegisterExtension
    final Processes processes = new Processes();

    /** Every metric name in the dashboard's and rules' expressions. */
    static Set<String> named() throws Exception {
        var names = new TreeSet<String>();
        var metric = Pattern.compile("\\b(poplock_[a-z_]+|up)\\b(?!\\s*\\()");
        var dashboard = Files.readString(MONITORING.resolve("grafana-dashboard.json"));
        var expr = Pattern.compile("\"expr\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
        var m = expr.matcher(dashboard);
        while (m.find()) {
            var n = metric.matcher(m.group(1));
            while (n.find()) {
                names.add(n.group(1));
            }
        }
        for (var line : Files.readAllLines(MONITORING.resolve("prometheus-rules.yml"))) {
            if (line.strip().startsWith("expr:")) {
                var n = metric.matcher(line);
                while (n.find()) {
                    names.add(n.group(1));
                }
            }
        }
        return names;
    }

    /** The series names a /metrics text holds (the first word of each sample line). */
    static Set<String> served(String metrics) {
        var names = new TreeSet<String>();
        metrics.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> names.add(l.split("[{ ]", 2)[0]));
        return names;
    }

    @Test
    void theDashboardAndTheRulesNameOnlyMetricsReadlogServes() throws Exception {
        var named = named();
        assertTrue(named.contains("poplock_logins_total") && named.contains("poplock_up") && named.size() >= 15,
                "the expressions are found: " + named);

        try (var redis = new RedisServer(dir.resolve("redis")).start()) {
            var popLog = dir.resolve("pop.log");
            var smtpLog = dir.resolve("smtp.log");
            Files.writeString(popLog, "");
            Files.writeString(smtpLog, "");
            var popDb = Files.createDirectories(dir.resolve("pop")).resolve("relay.db");
            var db = Files.createDirectories(dir.resolve("smtp")).resolve("relay.db");
            var secret = dir.resolve("dovecot-policy.secret");
            Files.writeString(secret, "a-secret-of-this-test-0123456789\n");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
            int metricsPort = RedisServer.freePort();
            int policyPort = RedisServer.freePort();
            int reportPort = RedisServer.freePort();

            processes.start(Launchers.command("readlog", Map.of(), "--log", popLog.toString(), "--db", popDb.toString(),
                    "--cluster", redis.url(), "--cluster-host", "pop-a").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(dir.resolve("pop.err").toFile()));
            processes.start(Launchers.command("readlog", Map.of(), "--log", smtpLog.toString(), "--db", db.toString(),
                    "--fifo", dir.resolve("smtp/mail.fifo").toString(), "--cluster", redis.url(), "--cluster-host", "smtp-b",
                    "--policy", "inet:127.0.0.1:" + policyPort, "--dovecot-policy", "inet:127.0.0.1:" + reportPort,
                    "--dovecot-policy-secret-file", secret.toString(), "--tcprules", dir.resolve("smtp/tcp.smtp.cdb").toString(),
                    "--metrics", "inet:127.0.0.1:" + metricsPort).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(dir.resolve("smtp.err").toFile()));
            Launchers.await(Duration.ofSeconds(60), "readlog's /metrics", () -> Launchers.metrics(metricsPort) != null);

            // A login on each host: the other host's reaches this one through the cluster (and sets its lag).
            Files.writeString(smtpLog, Dovecot.login(Instant.now(), "pop3", "192.0.2.7", "alice"), StandardOpenOption.APPEND);
            Files.writeString(popLog, Dovecot.login(Instant.now(), "imap", "192.0.2.8", "bob"), StandardOpenOption.APPEND);
            // A multilog line whose TAI64N label is no time in the years 0000 to 9999: dropped and counted as failed.
            Files.writeString(smtpLog, "@400010000000000000000000 dovecot: pop3-login: Login: user=<x>, rip=192.0.2.9, lip=192.0.2.1\n",
                    StandardOpenOption.APPEND);
            // The lag is that of a change read from the stream: a host that joined after the first login
            // loads it from the keys instead, so the other host logs in again until one comes through the stream.
            var more = new int[] {10};
            var lastLogin = new long[] {System.nanoTime()};
            Launchers.await(Duration.ofSeconds(60), "the cluster's login applied, the failed line counted", () -> {
                var text = Launchers.metrics(metricsPort);
                if (text != null && Launchers.sample(text, "poplock_cluster_lag_seconds", Launchers.ABSENT) == Launchers.ABSENT
                        && System.nanoTime() - lastLogin[0] > 2_000_000_000L) {
                    lastLogin[0] = System.nanoTime();
                    try {
                        Files.writeString(popLog, Dovecot.login(Instant.now(), "imap", "192.0.2." + more[0]++, "bob"), StandardOpenOption.APPEND);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return text != null && Launchers.sample(text, "poplock_live_entries", 0) >= 2
                        && Launchers.sample(text, "poplock_cluster_lag_seconds", Launchers.ABSENT) != Launchers.ABSENT
                        && served(text).contains("poplock_lines_failed_total");
            });
            // One policy request, so that its counters have moved too.
            try (var socket = new Socket("127.0.0.1", policyPort)) {
                socket.getOutputStream().write("request=smtpd_access_policy\nclient_address=192.0.2.7\n\n".getBytes(StandardCharsets.US_ASCII));
                var answer = new String(socket.getInputStream().readNBytes("action=OK\n\n".length()), StandardCharsets.US_ASCII);
                assertEquals("action=OK\n\n", answer);
            }

            var served = served(Launchers.metrics(metricsPort));
            var missing = new TreeSet<String>();
            for (var name : named) {
                if (!served.contains(name) && !PROMETHEUS_OWN.contains(name)) {
                    missing.add(name);
                }
            }
            assertEquals(Set.of(), missing, "named by the dashboard or the rules, not served by readlog; it serves " + served);
        }
    }

    @Test
    void theRulesPassPromtool() throws Exception {
        var promtool = Path.of("/usr/bin/promtool");
        Launchers.assumeOrInCiRequire(Files.isExecutable(promtool), "promtool (Debian's prometheus package; .ci/run installs it)");
        var p = new ProcessBuilder(promtool.toString(), "check", "rules", MONITORING.resolve("prometheus-rules.yml").toString())
                .redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool ended");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("SUCCESS"), out);
        var rules = Files.readAllLines(MONITORING.resolve("prometheus-rules.yml")).stream().filter(l -> l.strip().startsWith("- alert:")).toList();
        assertTrue(out.contains(rules.size() + " rules found"), out);
    }
}
