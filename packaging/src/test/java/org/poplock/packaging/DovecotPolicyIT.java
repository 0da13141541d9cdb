package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * readlog as the real Dovecot's auth policy server, with no log followed at all: Dovecot reports
 * each authentication, the successful POP3 and IMAP ones grant, a failed one does not, a request
 * without the secret is refused, and with readlog stopped Dovecot still lets its users in.
 */
class DovecotPolicyIT {

    private static final String SECRET = "s3cret-for-the-policy-test";

    @TempDir
    Path dir;

    private DovecotServer dovecot;
    private Process readlog;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        if (readlog != null) {
            readlog.destroyForcibly();
            readlog.waitFor();
        }
        if (dovecot != null) {
            dovecot.close();
        }
    }

    @Test
    void dovecotsReportsGrantWithNoLogFollowed() throws Exception {
        int policyPort = RedisServer.freePort();
        int metricsPort = RedisServer.freePort();
        var secret = dir.resolve("policy.secret");
        Files.writeString(secret, SECRET + "\n");
        dovecot = DovecotServer.start(dir, List.of("alice:secret", "bob:secret"), """
                auth_policy_server_url = http://127.0.0.1:%d/
                auth_policy_server_api_header = Authorization: Bearer %s
                auth_policy_hash_nonce = a-nonce-of-this-test
                auth_policy_request_attributes = login=%%{requested_username} remote=%%{rip} protocol=%%s
                auth_policy_check_before_auth = no
                auth_policy_check_after_auth = no
                auth_policy_report_after_auth = yes
                """.formatted(policyPort, SECRET));
        var db = dir.resolve("relay.db");
        readlog = Launchers.command("readlog", Map.of(), "--dovecot-policy", "inet:127.0.0.1:" + policyPort, "--dovecot-policy-secret-file",
                secret.toString(), "--db", db.toString(), "--metrics", "inet:127.0.0.1:" + metricsPort)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        var err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog to publish", () -> Launchers.metrics(metricsPort) != null && Launchers.metric(metricsPort, "poplock_up") == 1);

        assertTrue(dovecot.login("pop3", "127.0.0.1", "127.0.0.1", "alice", "secret"), "POP3 login");
        assertTrue(dovecot.login("imap", "127.0.0.2", "127.0.0.1", "bob", "secret"), "IMAP login");
        Launchers.await(Duration.ofSeconds(20), "both logins granted",
                () -> Launchers.publishedIps(db).containsAll(List.of("127.0.0.1", "127.0.0.2")));
        // The users table lags the grants by up to a second.
        Launchers.await(Duration.ofSeconds(10), "showallowed to name alice and bob", () -> {
            try {
                var show = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--json").out();
                return show.contains("\"user\":\"alice\"") && show.contains("\"user\":\"bob\"");
            } catch (Exception e) {
                return false;
            }
        });

        long reports = Launchers.metric(metricsPort, "poplock_dovecot_policy_reports_total");
        assertFalse(dovecot.login("pop3", "127.0.1.5", "127.0.0.1", "alice", "wrong"), "a wrong password");
        Launchers.await(Duration.ofSeconds(20), "Dovecot's report of the failure", () -> Launchers.metric(metricsPort, "poplock_dovecot_policy_reports_total") > reports);
        assertEquals(List.of("127.0.0.1", "127.0.0.2"), Launchers.publishedIps(db), "a failed login grants nothing");

        // Someone else on the host posting a report without the secret: refused, one line, nothing granted.
        var forged = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + policyPort + "/?command=report"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"login\":\"x\",\"remote\":\"203.0.113.66\",\"protocol\":\"pop3\",\"success\":true}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, forged.statusCode());
        var wrong = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + policyPort + "/?command=report"))
                .header("Authorization", "Bearer " + SECRET + "x")
                .POST(HttpRequest.BodyPublishers.ofString("{\"login\":\"x\",\"remote\":\"203.0.113.67\",\"protocol\":\"pop3\",\"success\":true}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, wrong.statusCode());
        var bad = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + policyPort + "/?command=report"))
                .header("Authorization", "Bearer " + SECRET).POST(HttpRequest.BodyPublishers.ofString("{\"login\":")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, bad.statusCode());
        var big = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + policyPort + "/?command=report"))
                .header("Authorization", "Bearer " + SECRET).POST(HttpRequest.BodyPublishers.ofString("{\"a\":\"" + "x".repeat(70_000) + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(413, big.statusCode());
        Launchers.await(Duration.ofSeconds(10), "the lines about the refused requests",
                () -> err.soFar().contains("without Authorization: Bearer secret; answered 401") && err.soFar().contains("answered 413"));
        assertFalse(err.soFar().contains(SECRET), "the secret is in no message");
        assertEquals(List.of("127.0.0.1", "127.0.0.2"), Launchers.publishedIps(db));
        assertEquals(4, Launchers.metric(metricsPort, "poplock_dovecot_policy_refused_total"));

        // A client that never finishes its request is closed, and holds up nobody meanwhile.
        try (var slow = new java.net.Socket("127.0.0.1", policyPort)) {
            slow.getOutputStream().write(("POST /?command=report HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + SECRET
                    + "\r\nContent-Length: 100\r\n\r\n{").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            slow.getOutputStream().flush();
            assertTrue(dovecot.login("pop3", "127.0.0.4", "127.0.0.1", "alice", "secret"), "a login while a client stalls");
            Launchers.await(Duration.ofSeconds(20), "the login during the stall granted", () -> Launchers.publishedIps(db).contains("127.0.0.4"));
            slow.setSoTimeout(30_000);
            long start = System.nanoTime();
            assertEquals(-1, slow.getInputStream().read(), "the stalled client is closed without an answer");
            assertTrue(System.nanoTime() - start < 25_000_000_000L);
        }

        // The policy server is advisory: with readlog gone, Dovecot still lets its users in.
        readlog.destroy();
        assertTrue(readlog.waitFor(20, TimeUnit.SECONDS));
        assertTrue(dovecot.login("pop3", "127.0.0.3", "127.0.0.1", "alice", "secret"), "a login with readlog stopped");
        assertTrue(dovecot.login("imap", "127.0.0.3", "127.0.0.1", "bob", "secret"), "an IMAP login with readlog stopped");
    }
}
