package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** readlog --metrics through the real launcher: the counters follow the logins, /health follows the publishes. */
class MetricsTest {

    @TempDir
    Path dir;

    private Process readlog;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        if (readlog != null) {
            readlog.destroyForcibly();
            readlog.waitFor();
        }
    }

    private HttpResponse<String> get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            return null;
        }
    }

    private long value(int port, String sample) {
        return Launchers.metric(port, sample);
    }

    @Test
    void countersMoveWithTheLoginsAndHealthTurns503WhileTheDatabaseCannotBePublished() throws Exception {
        int port = RedisServer.freePort();
        var log = dir.resolve("mail.log");
        Files.writeString(log, "");
        var dbDir = Files.createDirectories(dir.resolve("db"));
        readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", dbDir.resolve("relay.db").toString(),
                "--never-relay", "198.51.100.0/24", "--metrics", "inet:127.0.0.1:" + port).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Launchers.await(Duration.ofSeconds(30), "/health 200", () -> {
            var r = get(port, "/health");
            return r != null && r.statusCode() == 200;
        });
        assertEquals(Launchers.ABSENT, value(port, "poplock_logins_total{definition=\"dovecot\"}"), "no login yet");
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "203.0.113.9", "alice") + Dovecot.login(Instant.now(), "imap", "203.0.113.10", "bob")
                + Dovecot.login(Instant.now(), "pop3", "198.51.100.7", "nat"), StandardOpenOption.APPEND);
        // The counters move within a round and the gauge at its publish: each is awaited, none read between the two.
        Launchers.await(Duration.ofSeconds(20), "two logins counted", () -> value(port, "poplock_logins_total{definition=\"dovecot\"}") == 2);
        Launchers.await(Duration.ofSeconds(20), "one login refused", () -> value(port, "poplock_logins_refused_total") == 1);
        Launchers.await(Duration.ofSeconds(20), "two live entries published", () -> value(port, "poplock_live_entries") == 2);
        assertEquals(3, value(port, "poplock_lines_read_total{source=\"" + log + "\"}"));
        assertTrue(value(port, "poplock_publishes_total") >= 1);
        assertTrue(value(port, "poplock_publish_latency_seconds_count") >= 1);
        var text = get(port, "/metrics").body();
        assertTrue(text.contains("# TYPE poplock_publish_latency_seconds histogram") && text.contains("le=\"+Inf\""), text);

        var away = dir.resolve("db-away");
        Files.move(dbDir, away); // the database directory gone: publishing fails
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "203.0.113.11", "carol"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "/health 503", () -> {
            var r = get(port, "/health");
            return r != null && r.statusCode() == 503 && r.body().startsWith("cannot ");
        });
        assertTrue(value(port, "poplock_publish_failures_total") >= 1);
        assertEquals(0, value(port, "poplock_up"));
        Files.move(away, dbDir);
        Launchers.await(Duration.ofSeconds(30), "/health 200 again", () -> {
            var r = get(port, "/health");
            return r != null && r.statusCode() == 200;
        });
        assertEquals(1, value(port, "poplock_up"));
    }
}
