package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * readlog's listeners against clients that stall, flood or hog, through the real launcher: each
 * such client costs only itself, and the real ones (a Dovecot report, a health check, Postfix's
 * requests) are answered meanwhile.
 */
class ListenerBoundsTest {

    private static final String SECRET = "s3cret-for-the-bounds-test";

    @TempDir
    Path dir;

    private Process readlog;
    private Launchers.StreamText err;
    private final List<Socket> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (var s : clients) {
            s.close();
        }
        if (readlog != null) {
            readlog.destroyForcibly();
            readlog.waitFor();
        }
    }

    private void start(Map<String, String> env, String awaited, String... args) throws Exception {
        Files.writeString(dir.resolve("mail.log"), "");
        var all = new ArrayList<>(List.of("--log", dir.resolve("mail.log").toString(), "--db", dir.resolve("relay.db").toString()));
        all.addAll(List.of(args));
        readlog = Launchers.command("readlog", env, all.toArray(String[]::new)).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog to start", () -> err.soFar().contains(awaited) || !readlog.isAlive());
        assertTrue(readlog.isAlive(), err.soFar());
    }

    private Socket connect(int port, String from) throws IOException {
        var s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(new InetSocketAddress("127.0.0.1", port));
        s.setSoTimeout(10_000);
        clients.add(s);
        return s;
    }

    /** True while the server has not closed {@code s}: a read that finds nothing yet. */
    private static boolean open(Socket s) throws IOException {
        s.setSoTimeout(1);
        try {
            return s.getInputStream().read() >= 0;
        } catch (SocketTimeoutException e) {
            return true;
        } catch (java.net.SocketException reset) {
            return false;
        } finally {
            s.setSoTimeout(10_000);
        }
    }

    @Test
    void stalledHttpClientsHoldUpNeitherADovecotReportNorHealth() throws Exception {
        int policyPort = RedisServer.freePort();
        int metricsPort = RedisServer.freePort();
        var secret = dir.resolve("policy.secret");
        Files.writeString(secret, SECRET + "\n");
        start(Map.of(), "", "--dovecot-policy", "inet:127.0.0.1:" + policyPort, "--dovecot-policy-secret-file", secret.toString(),
                "--metrics", "inet:127.0.0.1:" + metricsPort);
        Launchers.await(Duration.ofSeconds(30), "readlog to publish", () -> Launchers.metrics(metricsPort) != null && Launchers.metric(metricsPort, "poplock_up") == 1);
        var stalled = new ArrayList<Socket>();
        for (int i = 0; i < 16; i++) {
            var s = connect(i % 2 == 0 ? policyPort : metricsPort, "127.0.0.1");
            s.getOutputStream().write((i % 2 == 0 ? "POST /?command=report HTTP/1.1\r\nHost: x\r\nAutho" : "GET /hea")
                    .getBytes(StandardCharsets.US_ASCII));
            stalled.add(s);
        }
        var http = HttpClient.newHttpClient();
        var report = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + policyPort + "/?command=report"))
                .header("Authorization", "Bearer " + SECRET).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString("{\"login\":\"alice\",\"remote\":\"203.0.113.5\",\"protocol\":\"pop3\",\"success\":true}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        var health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/health")).timeout(Duration.ofSeconds(60))
                .build(), HttpResponse.BodyHandlers.ofString());
        // Answered while every stalled client is still waiting: none of them held up the others.
        for (var s : stalled) {
            assertTrue(open(s), "a stalled client was closed before the real requests were answered");
        }
        assertEquals(200, report.statusCode());
        assertEquals("{\"status\":0}", report.body());
        assertEquals(200, health.statusCode());
        assertEquals("ok\n", health.body());
        Launchers.await(Duration.ofSeconds(20), "the report's grant", () -> Launchers.publishedIps(dir.resolve("relay.db")).contains("203.0.113.5"));
        // Each stalled client is closed by its own request time, with one line.
        for (var s : stalled) {
            s.setSoTimeout(30_000);
            try {
                assertEquals(-1, s.getInputStream().read(), "a stalled client is closed without an answer");
            } catch (java.net.SocketException reset) {
                // closed: the same
            }
        }
        Launchers.await(Duration.ofSeconds(10), "the line about the stalled clients", () -> err.soFar().contains("sent no whole request within"));
    }

    @Test
    void aPolicyClientSendingAnEndlessRequestIsClosedWithOneLineAndOthersAreServed() throws Exception {
        int port = RedisServer.freePort();
        start(Map.of(), "answering policy requests", "--policy", "inet:127.0.0.1:" + port);
        Files.writeString(dir.resolve("mail.log"), Dovecot.login(Instant.now(), "pop3", "203.0.113.9", "alice"), StandardOpenOption.APPEND);
        var good = connect(port, "127.0.0.1");
        Launchers.await(Duration.ofSeconds(20), "the grant answered", () -> {
            try {
                good.getOutputStream().write(PolicyServiceTest.request("203.0.113.9").getBytes(StandardCharsets.US_ASCII));
                return "action=OK\n\n".equals(PolicyServiceTest.reply(good.getInputStream()));
            } catch (IOException e) {
                return false;
            }
        });
        var hog = connect(port, "127.0.0.1");
        var line = ("x=" + "a".repeat(15_998) + "\n").getBytes(StandardCharsets.US_ASCII);
        hog.getOutputStream().write("request=smtpd_access_policy\n".getBytes(StandardCharsets.US_ASCII));
        int sent = 0;
        try {
            for (; sent < 10_000; sent++) {
                hog.getOutputStream().write(line);
            }
        } catch (IOException closed) {
            // the server closed it: what this test waits for
        }
        assertTrue(sent < 10_000, "an endless request was read for 160 MB");
        assertNull(readOrNull(hog.getInputStream()), "closed with no reply");
        Launchers.await(Duration.ofSeconds(10), "the line about the endless request", () -> err.soFar().contains("a request over 64 KiB"));
        assertEquals(1, err.soFar().lines().filter(l -> l.contains("a request over")).count(), err.soFar());
        good.getOutputStream().write(PolicyServiceTest.request("203.0.113.9").getBytes(StandardCharsets.US_ASCII));
        assertEquals("action=OK\n\n", PolicyServiceTest.reply(good.getInputStream()), "the other client is still answered");
    }

    @Test
    void connectionsFromOneAddressAreCappedTheLongestWaitingGoesAndOthersAreServed() throws Exception {
        int port = RedisServer.freePort();
        start(Map.of(), "answering policy requests", "--policy", "inet:127.0.0.1:" + port, "--policy-connections-per-client", "8");
        var idle = new ArrayList<Socket>();
        for (int i = 0; i < 8; i++) {
            idle.add(connect(port, "127.0.0.2"));
        }
        // Past the cap: the newcomer is served, the one waiting longest from that address makes room.
        var newcomer = connect(port, "127.0.0.2");
        newcomer.getOutputStream().write(PolicyServiceTest.request("198.51.100.1").getBytes(StandardCharsets.US_ASCII));
        assertEquals("action=DUNNO\n\n", PolicyServiceTest.reply(newcomer.getInputStream()));
        Launchers.await(Duration.ofSeconds(10), "the first idle client closed", () -> {
            try {
                return !open(idle.get(0));
            } catch (IOException e) {
                return true;
            }
        });
        for (int i = 1; i < 8; i++) {
            assertTrue(open(idle.get(i)), "only the longest waiting goes");
        }
        Launchers.await(Duration.ofSeconds(10), "the line about the cap", () -> err.soFar().contains("more than 8 connections from 127.0.0.2"));
        // Another address has its own count.
        for (int i = 0; i < 8; i++) {
            var other = connect(port, "127.0.0.3");
            other.getOutputStream().write(PolicyServiceTest.request("198.51.100.1").getBytes(StandardCharsets.US_ASCII));
            assertEquals("action=DUNNO\n\n", PolicyServiceTest.reply(other.getInputStream()));
        }
        for (int i = 1; i < 8; i++) {
            assertTrue(open(idle.get(i)), "another address's connections close none of these");
        }
    }

    @Test
    void underA128MiBHeapTwelveClientsHoldingHugeRequestsGetNoOutOfMemory() throws Exception {
        int port = RedisServer.freePort();
        start(Map.of("POPLOCK_JAVA_OPTS", "-Xmx128m"), "answering policy requests", "--policy", "inet:127.0.0.1:" + port);
        var value = "a".repeat(15_990) + "\n";
        var threads = new ArrayList<Thread>();
        for (int c = 0; c < 12; c++) {
            var s = connect(port, "127.0.0.1");
            var t = new Thread(() -> {
                try {
                    s.getOutputStream().write("request=smtpd_access_policy\n".getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < 999; i++) {
                        s.getOutputStream().write(("a" + i + "=" + value).getBytes(StandardCharsets.US_ASCII));
                    }
                } catch (IOException closed) {
                    // closed by the server
                }
            });
            t.start();
            threads.add(t);
        }
        for (var t : threads) {
            t.join(120_000);
        }
        assertEquals("action=DUNNO\n\n", ask(port, "198.51.100.1"), "a client is served after the attack");
        assertTrue(readlog.isAlive(), err.soFar());
        assertFalse(err.soFar().contains("OutOfMemoryError"), err.soFar());
    }

    private String ask(int port, String ip) throws IOException {
        var s = connect(port, "127.0.0.1");
        s.getOutputStream().write(PolicyServiceTest.request(ip).getBytes(StandardCharsets.US_ASCII));
        return PolicyServiceTest.reply(s.getInputStream());
    }

    private static String readOrNull(InputStream in) throws IOException {
        try {
            return PolicyServiceTest.reply(in);
        } catch (java.net.SocketException reset) {
            return null;
        }
    }
}
