package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;

/**
 * Proven on a real mail stack, loopback only: Dovecot serving POP3 and IMAP, readlog following its
 * log, Debian's tcpserver (and ucspi-tcp-ipv6's, unpacked by .ci/run) running relaylock in front of
 * qpsmtpd, whose relay plugin decides by RELAYCLIENT, and swaks and a small SMTP client sending.
 * qpsmtpd treats an empty RELAYCLIENT as unset, so relaylock runs with --relayclient-value 1 here.
 * Each scenario is its own test (a failure hides none of the others) on one stack, started once,
 * in the order below, and prints a line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MailStackIT {

    static final String TIMEOUT = "12s";
    static final Path TCPSERVER6 = Path.of(System.getenv().getOrDefault("POPLOCK_TCPSERVER6",
            System.getProperty("user.home") + "/.cache/poplock-test/ucspi-tcp-ipv6/usr/bin/tcpserver"));

    /** An IPv6 address on lo besides ::1 (.ci/run: ip -6 addr add fd00:5eed::25/128 dev lo). */
    static final String IPV6_CLIENT = "fd00:5eed::25";

    /** One directory for the whole stack (JUnit's @TempDir is per test method here). */
    Path dir;
    final List<Process> processes = new ArrayList<>();
    DovecotServer dovecot;
    Process readlog;
    Path db;
    int smtp4;
    int smtp6;

    @AfterAll
    void stop() throws Exception {
        for (var p : processes) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
        if (dovecot != null) {
            dovecot.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static void report(String line) {
        System.out.println("mail stack: " + line);
    }

    private Process startReadlog() throws IOException {
        readlog = Launchers.command("readlog", Map.of(), "--log", dovecot.log.toString(), "--db", db.toString(), "--timeout", TIMEOUT)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("readlog.out").toFile())).start();
        processes.add(readlog);
        return readlog;
    }

    private Process smtpServer(String tcpserver, String address, int port) throws Exception {
        var config = Files.createDirectories(dir.resolve("qpsmtpd"));
        var spool = Files.createDirectories(dir.resolve("spool"));
        Files.writeString(config.resolve("plugins"), "relay\nrcpt_ok\n");
        Files.writeString(config.resolve("plugin_dirs"), "/usr/share/qpsmtpd/plugins\n");
        Files.writeString(config.resolve("rcpthosts"), "local.test\n");
        Files.writeString(config.resolve("relayclients"), ""); // Debian's lists 127.0.0.1: every loopback client would relay
        Files.writeString(config.resolve("spool_dir"), spool + "\n");
        Files.writeString(config.resolve("logging"), "logging/warn LOGWARN\n");
        Files.writeString(config.resolve("me"), "mail.local.test\n");
        var front = Path.of("src/test/resources/qpsmtpd/qpsmtpd-tcpserver").toAbsolutePath();
        var pb = new ProcessBuilder(tcpserver, "-q", "-R", "-H", "-l", "localhost", "-c", "20", address, String.valueOf(port),
                Launchers.BIN.resolve("relaylock").toString(), "--db", db.toString(), "--relayclient-value", "1", front.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("smtp.out").toFile()));
        Launchers.hostFree(pb.environment()).put("QPSMTPD_CONFIG", config.toString());
        var p = pb.start();
        processes.add(p);
        Launchers.await(Duration.ofSeconds(20), "SMTP on " + address + " " + port, () -> {
            try {
                return Smtp.rcpt(address.contains(":") ? "::1" : "127.0.0.1", address, port, "postmaster@local.test") > 0;
            } catch (IOException e) {
                return false;
            }
        });
        return p;
    }

    /** swaks, the real SMTP client: the RCPT reply code for {@code to}, from {@code source}. */
    private int swaks(String source, String server, int port, String to) throws Exception {
        var p = new ProcessBuilder("swaks", "--server", server, "--port", String.valueOf(port), "--local-interface", source,
                "--from", "sender@client.test", "--to", to, "--quit-after", "RCPT", "--timeout", "30")
                .redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        // The reply that follows swaks's RCPT command ("<-  250 ..." or "<** 550 ...").
        var lines = out.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(" -> RCPT TO:")) {
                for (int j = i + 1; j < lines.size(); j++) {
                    var l = lines.get(j);
                    if ((l.startsWith("<-  ") || l.startsWith("<** ")) && l.substring(4).matches("\\d{3} .*")) {
                        return Integer.parseInt(l.substring(4, 7));
                    }
                }
            }
        }
        throw new AssertionError("no RCPT reply from swaks: " + out);
    }

    private boolean relays(String source, String server, int port) throws Exception {
        int code = swaks(source, server, port, "someone@elsewhere.test");
        assertTrue(code == 250 || code == 550, "RCPT answered " + code);
        return code == 250;
    }

    @BeforeAll
    void startTheStack() throws Exception {
        dir = Files.createTempDirectory("poplock-mailstack-");
        assertTrue(Files.isExecutable(TCPSERVER6), "ucspi-tcp-ipv6's tcpserver, unpacked by .ci/run: " + TCPSERVER6);
        assertTrue(java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.getByName(IPV6_CLIENT)) != null,
                IPV6_CLIENT + " is not on lo: .ci/run adds it (ip -6 addr add " + IPV6_CLIENT + "/128 dev lo)");
        dovecot = DovecotServer.start(dir, List.of("alice:secret", "bob:hunter2", "carol:pw"));
        db = dir.resolve("relay.db");
        startReadlog();
        Launchers.await(Duration.ofSeconds(30), "readlog's first publish", () -> Files.exists(db));
        smtp4 = TcpserverIT.freePort();
        smtp6 = TcpserverIT.freePort();
        smtpServer("tcpserver", "127.0.0.1", smtp4);
        smtpServer(TCPSERVER6.toString(), "::1", smtp6);
    }

    @Test
    @Order(1)
    void beforeAnyLoginRelayingIsRefusedAndLocalMailAccepted() throws Exception {
        assertFalse(relays("127.0.0.1", "127.0.0.1", smtp4), "relay before any login");
        assertEquals(250, swaks("127.0.0.1", "127.0.0.1", smtp4, "postmaster@local.test"), "local mail");
        report("1 no login yet: relaying refused (550), mail for the local domain accepted (250)");
    }

    @Test
    @Order(2)
    void aPop3LoginOverIpv4OpensRelaying() throws Exception {
        assertTrue(dovecot.login("pop3", "127.0.0.1", "127.0.0.1", "alice", "secret"));
        long loggedIn = System.nanoTime();
        Launchers.await(Duration.ofSeconds(10), "relay after the POP3 login", () -> relaysQuietly("127.0.0.1", "127.0.0.1", smtp4));
        report("2 POP3 login over IPv4 (curl): relaying from 127.0.0.1 accepted "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - loggedIn) + " ms after the login, SMTP session included");
    }

    /** qpsmtpd's relay plugin lets ::1 relay whatever RELAYCLIENT says: the client comes from a second loopback address. */
    @Test
    @Order(3)
    void anImapLoginOverIpv6OpensRelayingOverIpv6() throws Exception {
        assertFalse(relays(IPV6_CLIENT, "::1", smtp6), "IPv6 before its login");
        assertTrue(dovecot.login("imap", IPV6_CLIENT, "::1", "bob", "hunter2"));
        Launchers.await(Duration.ofSeconds(10), "relay over IPv6", () -> relaysQuietly(IPV6_CLIENT, "::1", smtp6));
        report("3 IMAP login over IPv6 (from " + IPV6_CLIENT + " to ::1): relaying over IPv6 accepted");
    }

    @Test
    @Order(4)
    void aFailedLoginOpensNothing() throws Exception {
        assertFalse(dovecot.login("pop3", "127.0.1.5", "127.0.0.1", "carol", "wrong"));
        Launchers.await(Duration.ofSeconds(10), "Dovecot to log the failure", () -> logHas("rip=127.0.1.5"));
        assertFalse(relays("127.0.1.5", "127.0.0.1", smtp4), "relay after a failed login");
        report("4 failed login from 127.0.1.5: relaying still refused");
    }

    @Test
    @Order(5)
    void aGrantSurvivesAReadlogRestart() throws Exception {
        assertTrue(dovecot.login("pop3", "127.0.1.6", "127.0.0.1", "carol", "pw"));
        Launchers.await(Duration.ofSeconds(10), "the login to be recorded", () -> relaysQuietly("127.0.1.6", "127.0.0.1", smtp4));
        Launchers.signal(readlog, "TERM");
        assertTrue(readlog.waitFor(20, TimeUnit.SECONDS));
        // The database the old readlog left goes with it: a grant now can only come from what the
        // restarted readlog kept in its state and published.
        Files.delete(db);
        startReadlog();
        Launchers.await(Duration.ofSeconds(30), "the restarted readlog's first publish", () -> Files.exists(db));
        assertTrue(relays("127.0.1.6", "127.0.0.1", smtp4), "the grant after readlog's restart");
        report("6 readlog restarted between the login and the SMTP session: the grant survives");
    }

    @Test
    @Order(6)
    void aDeletedDatabaseStopsRelayingButNotMailAndIsPublishedAgain() throws Exception {
        Launchers.await(Duration.ofSeconds(30), "a published database", () -> Files.exists(db));
        Files.delete(db);
        assertFalse(relays("127.0.1.6", "127.0.0.1", smtp4), "no database, no relay");
        assertEquals(250, swaks("127.0.1.6", "127.0.0.1", smtp4, "postmaster@local.test"), "SMTP still answers");
        assertTrue(dovecot.login("imap", "127.0.1.8", "127.0.0.1", "carol", "pw"));
        Launchers.await(Duration.ofSeconds(10), "readlog to publish again", () -> Files.exists(db));
        assertTrue(relays("127.0.1.8", "127.0.0.1", smtp4));
        report("8 database deleted under the running system: SMTP answered and refused relaying; readlog recreated it at its next publish");
    }

    @Test
    @Order(7)
    void twoHundredConnectionsThroughTcpserverAllGetTheRightAnswer() throws Exception {
        report("7 " + burst());
    }

    @Test
    @Order(8)
    void afterTheTimeoutRelayingIsRefusedAgain() throws Exception {
        assertTrue(dovecot.login("pop3", "127.0.1.9", "127.0.0.1", "alice", "secret"));
        Launchers.await(Duration.ofSeconds(10), "relay for 127.0.1.9", () -> relaysQuietly("127.0.1.9", "127.0.0.1", smtp4));
        // Refused means qpsmtpd's 550: a connection that fails is no answer at all.
        Launchers.await(Duration.ofSeconds(40), "the " + TIMEOUT + " timeout to pass and RCPT to get 550",
                () -> rcptQuietly("127.0.1.9", "127.0.0.1", smtp4) == 550);
        report("5 after the timeout (" + TIMEOUT + " here): relaying refused again");
    }

    /** 200 connections, 40 clients at a time, half from a logged-in address, through tcpserver -c 20. */
    private String burst() throws Exception {
        var keepAlive = new AtomicBoolean(true);
        var refresher = new Thread(() -> {
            while (keepAlive.get()) {
                try {
                    dovecot.login("pop3", "127.0.0.1", "127.0.0.1", "alice", "secret");
                    Thread.sleep(3000);
                } catch (Exception e) {
                    return;
                }
            }
        });
        refresher.start();
        Launchers.await(Duration.ofSeconds(10), "relay for 127.0.0.1", () -> relaysQuietly("127.0.0.1", "127.0.0.1", smtp4));
        ExecutorService pool = Executors.newFixedThreadPool(40);
        long start = System.nanoTime();
        try {
            var results = new ArrayList<Future<Integer>>();
            for (int i = 0; i < 200; i++) {
                var source = i % 2 == 0 ? "127.0.0.1" : "127.0.2." + (1 + i % 200);
                results.add(pool.submit(() -> Smtp.rcpt(source, "127.0.0.1", smtp4, "someone@elsewhere.test")));
            }
            int i = 0;
            for (var r : results) {
                int expected = i++ % 2 == 0 ? 250 : 550;
                assertEquals(expected, r.get(5, TimeUnit.MINUTES), "connection " + (i - 1));
            }
        } finally {
            pool.shutdownNow();
            keepAlive.set(false);
            refresher.join(30_000);
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        return "200 SMTP connections, 40 at a time, through tcpserver -c 20: every one got a banner and the right answer "
                + "(100 relayed, 100 refused) in " + ms + " ms";
    }

    private boolean relaysQuietly(String source, String server, int port) {
        return rcptQuietly(source, server, port) == 250;
    }

    /** The RCPT reply code for a relayed recipient; -1 when the SMTP session failed. */
    private int rcptQuietly(String source, String server, int port) {
        try {
            return Smtp.rcpt(source, server, port, "someone@elsewhere.test");
        } catch (IOException e) {
            return -1;
        }
    }

    private boolean logHas(String text) {
        try {
            return Files.readString(dovecot.log).contains(text);
        } catch (IOException e) {
            return false;
        }
    }
}
