package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain with real processes: a Dovecot login line appended to a log, readlog following
 * it, Debian's tcpserver running relaylock for each TCP connection, and the program relaylock
 * becomes reporting what it got over the socket.
 */
class TcpserverIT {

    @TempDir
    Path dir;
    Process readlog;
    Process tcpserver;

    @AfterEach
    void stop() throws InterruptedException {
        for (var p : new Process[] {tcpserver, readlog}) {
            if (p != null) {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
        }
    }

    @Test
    void loginGrantsRelayToThatAddressOnlyUntilItExpires() throws Exception {
        var log = Files.createFile(dir.resolve("mail.log"));
        var db = dir.resolve("relay.db");
        readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString(), "--timeout", "4s")
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(30), "readlog's first publish", () -> Files.exists(db));
        int port = freePort();
        var relaylock = new ProcessBuilder("tcpserver", "-q", "-R", "-H", "-l", "localhost", "127.0.0.1", String.valueOf(port),
                Launchers.BIN.resolve("relaylock").toString(), "--db", db.toString(), Launchers.envReport().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("tcpserver.out").toFile());
        Launchers.hostFree(relaylock.environment());
        tcpserver = relaylock.start();
        Launchers.await(Duration.ofSeconds(10), "tcpserver to listen", () -> canConnect(port));

        var before = session("127.0.0.1", port);
        assertTrue(before.contains("RELAYCLIENT unset\n"), "no login yet: " + before);

        Files.writeString(log, Dovecot.failed(Instant.now(), "127.0.0.1", "mallory")
                + Dovecot.login(Instant.now(), "pop3", "127.0.0.1", "alice"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "relay for 127.0.0.1", () -> session("127.0.0.1", port).contains("RELAYCLIENT=[]\n"));

        var granted = session("127.0.0.1", port);
        assertTrue(granted.contains("TCPREMOTEIP=127.0.0.1\n"), granted);
        assertTrue(granted.contains("FDS 0 1 2\n"), "only the socket reaches the program: " + granted);
        var other = session("127.0.0.2", port);
        assertTrue(other.contains("TCPREMOTEIP=127.0.0.2\n") && other.contains("RELAYCLIENT unset\n"), "another address: " + other);

        Launchers.await(Duration.ofSeconds(20), "the 4s grant to expire", () -> session("127.0.0.1", port).contains("RELAYCLIENT unset\n"));
        assertTrue(Files.readString(dir.resolve("tcpserver.out")).isEmpty(), "relaylock wrote nothing on stderr: "
                + Files.readString(dir.resolve("tcpserver.out")));
    }

    @Test
    void tcprulesCdbLetsTcpserverSetRelayClientWithoutAProgram() throws Exception {
        var log = Files.createFile(dir.resolve("mail.log"));
        var db = dir.resolve("relay.db");
        var cdb = dir.resolve("tcp.smtp.cdb");
        var base = Files.writeString(dir.resolve("tcp.smtp"), "127.0.0.3:allow,RELAYCLIENT=\"\"\n127.0.0.4:deny\n:allow\n");
        readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString(), "--timeout", "4s",
                "--tcprules", cdb.toString(), "--tcprules-base", base.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(30), "the first CDB", () -> Files.exists(cdb));
        int port = freePort();
        // No relaylock: tcpserver applies the rules itself.
        tcpserver = new ProcessBuilder("tcpserver", "-q", "-R", "-H", "-l", "localhost", "-x", cdb.toString(),
                "127.0.0.1", String.valueOf(port), Launchers.envReport().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("tcpserver.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(10), "tcpserver to listen", () -> canConnect(port));
        assertTrue(session("127.0.0.1", port).contains("RELAYCLIENT unset\n"), "no login yet");
        assertTrue(session("127.0.0.3", port).contains("RELAYCLIENT=[]\n"), "the admin's own rule");
        assertEquals("", session("127.0.0.4", port), "the admin's deny rule");

        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "127.0.0.1", "alice"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "relay for 127.0.0.1", () -> session("127.0.0.1", port).contains("RELAYCLIENT=[]\n"));
        assertTrue(session("127.0.0.2", port).contains("RELAYCLIENT unset\n"));
        Launchers.await(Duration.ofSeconds(20), "the grant to expire", () -> session("127.0.0.1", port).contains("RELAYCLIENT unset\n"));
        assertTrue(session("127.0.0.3", port).contains("RELAYCLIENT=[]\n"), "the admin's rule stays");
    }

    /** The admin's rules of the issue's example, and the same shape on loopback for real connections. */
    static final String ADMIN_RULES = """
            192.0.2.66:deny
            192.0.2.:allow,QMAILQUEUE="/usr/local/bin/scanner"
            127.0.2.66:deny
            127.0.2.:allow,QMAILQUEUE="/usr/local/bin/scanner"
            127.0.3.:allow,RELAYCLIENT="@fix.me"
            :allow
            """;

    @Test
    void aGrantKeepsWhatTheAdminsRuleForItsAddressSays() throws Exception {
        var log = Files.createFile(dir.resolve("mail.log"));
        var cdb = dir.resolve("tcp.smtp.cdb");
        var base = Files.writeString(dir.resolve("tcp.smtp"), ADMIN_RULES);
        int metrics = freePort();
        readlog = readlogWithCdb(log, cdb, base, "15m", "--metrics", "inet:127.0.0.1:" + metrics);
        Launchers.await(Duration.ofSeconds(30), "the first CDB", () -> Files.exists(cdb));
        var now = Instant.now();
        Files.writeString(log, Dovecot.login(now, "pop3", "192.0.2.66", "alice") + Dovecot.login(now, "pop3", "192.0.2.10", "bob")
                + Dovecot.login(now, "pop3", "127.0.2.66", "carol") + Dovecot.login(now, "pop3", "127.0.2.10", "dave")
                + Dovecot.login(now, "pop3", "127.0.3.1", "erin") + Dovecot.login(now, "pop3", "127.0.0.5", "frank"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "the grants in the CDB", () -> check(cdb, "127.0.0.5").contains("RELAYCLIENT="));

        // tcprulescheck on the CDB readlog wrote: the issue's own addresses.
        assertEquals("rule 192.0.2.66:\ndeny connection\n", check(cdb, "192.0.2.66"),
                "the admin's deny stays");
        assertEquals("rule 192.0.2.10:\nset environment variable QMAILQUEUE=/usr/local/bin/scanner\nset environment variable RELAYCLIENT=\n"
                + "allow connection\n", check(cdb, "192.0.2.10"), "the scanner stays, RELAYCLIENT is added");
        assertEquals("rule 192.0.2.:\nset environment variable QMAILQUEUE=/usr/local/bin/scanner\nallow connection\n",
                check(cdb, "192.0.2.11"), "no grant: the admin's rule alone");
        assertEquals("rule 127.0.3.1:\nset environment variable RELAYCLIENT=@fix.me\nallow connection\n", check(cdb, "127.0.3.1"),
                "the admin's own RELAYCLIENT is kept");

        // tcpserver itself, a connection per case; env prints what the SMTP server would get.
        int port = freePort();
        tcpserver = new ProcessBuilder("tcpserver", "-q", "-R", "-H", "-l", "localhost", "-x", cdb.toString(),
                "127.0.0.1", String.valueOf(port), "/usr/bin/env")
                .redirectErrorStream(true).redirectOutput(dir.resolve("tcpserver.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(10), "tcpserver to listen", () -> canConnect(port));
        assertEquals("", session("127.0.2.66", port), "a denied address stays denied after its login");
        var scanned = session("127.0.2.10", port);
        assertTrue(scanned.contains("QMAILQUEUE=/usr/local/bin/scanner\n") && scanned.contains("RELAYCLIENT=\n"), scanned);
        var notGranted = session("127.0.2.11", port);
        assertTrue(notGranted.contains("QMAILQUEUE=/usr/local/bin/scanner\n") && !notGranted.contains("RELAYCLIENT"), notGranted);
        assertTrue(session("127.0.3.1", port).contains("RELAYCLIENT=@fix.me\n"));
        assertTrue(session("127.0.0.5", port).contains("RELAYCLIENT=\n"));
        assertFalse(session("127.0.0.6", port).contains("RELAYCLIENT"));

        // One line per denied address, however often the CDB is written again; and counted.
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "127.0.0.9", "grace"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "another publish", () -> check(cdb, "127.0.0.9").contains("RELAYCLIENT="));
        var out = Files.readString(dir.resolve("readlog.out"));
        assertEquals(1, out.split("192.0.2.66 may relay by its login, but", -1).length - 1, out);
        assertEquals(1, out.split("127.0.2.66 may relay by its login, but", -1).length - 1, out);
        assertEquals(2, Launchers.metric(metrics, "poplock_tcprules_denied_total"));
    }

    @Test
    void ipv6GrantsInTheFormTheIpv6TcpserverLooksUp() throws Exception {
        var bin = MailStackIT.TCPSERVER6.getParent();
        var log = Files.createFile(dir.resolve("mail.log"));
        var cdb = dir.resolve("tcp.smtp.cdb");
        var base = Files.writeString(dir.resolve("tcp.smtp"), "fd00:5eed::allow,X=\"v6net\"\n:allow\n");
        readlog = readlogWithCdb(log, cdb, base, "15m", "--tcprules-program", bin.resolve("tcprules").toString());
        Launchers.await(Duration.ofSeconds(30), "the first CDB", () -> Files.exists(cdb));
        var now = Instant.now();
        Files.writeString(log, Dovecot.login(now, "imap", MailStackIT.IPV6_CLIENT, "alice")
                + Dovecot.login(now, "imap", "::ffff:127.0.0.7", "bob"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "the IPv6 grant in the CDB",
                () -> check(bin.resolve("tcprulescheck"), cdb, MailStackIT.IPV6_CLIENT).contains("RELAYCLIENT="));
        assertEquals("rule fd00:5eed::25:\nset environment variable X=v6net\nset environment variable RELAYCLIENT=\nallow connection\n",
                check(bin.resolve("tcprulescheck"), cdb, MailStackIT.IPV6_CLIENT));

        int port = freePort();
        tcpserver = new ProcessBuilder(MailStackIT.TCPSERVER6.toString(), "-q", "-R", "-H", "-l", "localhost", "-x", cdb.toString(),
                "0", String.valueOf(port), "/usr/bin/env")
                .redirectErrorStream(true).redirectOutput(dir.resolve("tcpserver.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(10), "tcpserver to listen", () -> canConnect(port));
        var granted = session(MailStackIT.IPV6_CLIENT, "::1", port);
        assertTrue(granted.contains("RELAYCLIENT=\n") && granted.contains("X=v6net\n"), granted);
        assertFalse(session("::1", "::1", port).contains("RELAYCLIENT"), "::1 logged in nowhere");
        assertTrue(session("127.0.0.7", "127.0.0.1", port).contains("RELAYCLIENT=\n"), "an IPv4 client of the IPv6 tcpserver");
        assertFalse(session("127.0.0.8", "127.0.0.1", port).contains("RELAYCLIENT"));
    }

    @Test
    void theCdbLosesExpiredGrantsWhateverBecameOfReadlog() throws Exception {
        var base = Files.writeString(dir.resolve("tcp.smtp"), ":allow\n");
        for (var fate : new String[] {"KILL", "STOP", "TERM"}) {
            var here = Files.createDirectory(dir.resolve(fate));
            var log = Files.createFile(here.resolve("mail.log"));
            var cdb = here.resolve("tcp.smtp.cdb");
            readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", here.resolve("relay.db").toString(),
                    "--timeout", "5s", "--tcprules", cdb.toString(), "--tcprules-base", base.toString())
                    .redirectErrorStream(true).redirectOutput(here.resolve("readlog.out").toFile()).start();
            Launchers.await(Duration.ofSeconds(30), "the first CDB", () -> Files.exists(cdb));
            var login = Instant.now();
            Files.writeString(log, Dovecot.login(login, "pop3", "127.0.0.8", "alice"), StandardOpenOption.APPEND);
            Launchers.await(Duration.ofSeconds(10), "the grant in the CDB", () -> check(cdb, "127.0.0.8").contains("RELAYCLIENT="));
            Launchers.signal(readlog, fate);
            if (!fate.equals("STOP")) {
                assertTrue(readlog.waitFor(20, TimeUnit.SECONDS), fate);
            }
            var refresh = refresh(here, cdb, base);
            assertEquals(0, refresh.exit(), refresh.err());
            assertTrue(check(cdb, "127.0.0.8").contains("RELAYCLIENT="), fate + ": a live grant stays");
            Launchers.await(Duration.ofSeconds(20), fate + ": the grant to expire", () -> Instant.now().isAfter(login.plusSeconds(6)));
            assertTrue(check(cdb, "127.0.0.8").contains("RELAYCLIENT="), fate + ": readlog did not remove it");
            refresh = refresh(here, cdb, base);
            assertEquals(0, refresh.exit(), refresh.err());
            assertFalse(check(cdb, "127.0.0.8").contains("RELAYCLIENT="), fate + ": the refresh removed it");
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(cdb)));
            if (fate.equals("STOP")) {
                Launchers.signal(readlog, "CONT");
            }
            stop();
            readlog = null;
        }
    }

    /** readlog --tcprules-refresh, as the timer or the service's loop runs it. */
    private static Launchers.Result refresh(Path here, Path cdb, Path base) throws Exception {
        return Launchers.run("readlog", Map.of(), "--tcprules-refresh", "--db", here.resolve("relay.db").toString(),
                "--tcprules", cdb.toString(), "--tcprules-base", base.toString());
    }

    @Test
    void aFailingCdbIsOneLineWithItsCauseAndTheDatabaseGoesOn() throws Exception {
        var log = Files.createFile(dir.resolve("mail.log"));
        var db = dir.resolve("relay.db");
        var cdbDir = dir.resolve("not-yet");
        var cdb = cdbDir.resolve("tcp.smtp.cdb");
        // A tcprules that never finishes: bounded from its start, and the database is published meanwhile.
        var hung = Files.writeString(dir.resolve("hung-tcprules"), "#!/bin/sh\n[ -e " + dir.resolve("hang") + " ] && exec sleep 600\nexec tcprules \"$@\"\n");
        Files.setPosixFilePermissions(hung, PosixFilePermissions.fromString("rwxr-xr-x"));
        readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString(), "--timeout", "15m",
                "--tcprules", cdb.toString(), "--tcprules-program", hung.toString(), "--tcprules-wait", "2s")
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(30), "the first publish", () -> Files.exists(db));
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "127.0.0.11", "alice"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "the database", () -> Launchers.publishedIps(db).contains("127.0.0.11"));
        Launchers.await(Duration.ofSeconds(20), "a few retries", () -> readlogOut().contains("cannot write " + cdb));
        Thread.sleep(6000); // a retry (every 5 s) that fails again must say nothing
        var out = readlogOut();
        assertEquals(1, out.split("cannot write ", -1).length - 1, out);
        assertTrue(out.matches("(?s).*cannot write " + cdb + ": cannot (create|open) " + cdb + "\\.[-a-z0-9.]+: no such file or directory.*"), out);

        Files.createDirectory(cdbDir);
        Files.createFile(dir.resolve("hang"));
        Launchers.await(Duration.ofSeconds(30), "the hung tcprules to be killed", () -> readlogOut().contains("was killed"));
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "127.0.0.12", "bob"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "the database, while tcprules hangs", () -> Launchers.publishedIps(db).contains("127.0.0.12"));
        Files.delete(dir.resolve("hang"));
        Launchers.await(Duration.ofSeconds(30), "the CDB to recover", () -> readlogOut().contains("wrote " + cdb + " again"));
        assertTrue(check(cdb, "127.0.0.12").contains("RELAYCLIENT="));
        out = readlogOut();
        assertEquals(1, out.split("wrote " + cdb + " again", -1).length - 1, out);
        assertTrue(out.matches("(?s).*cannot write " + cdb + ": " + hung + " " + cdb + "[-a-z0-9.]* did not finish within 2s and was killed.*"), out);
        Launchers.signal(readlog, "TERM");
        assertTrue(readlog.waitFor(20, TimeUnit.SECONDS));
        out = readlogOut();
        assertFalse(out.contains("null"), out);
        assertTrue(out.contains("stopped; last publish 20"), out);
    }

    @Test
    void theSmtpUserReadsTheCdb() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        var log = Files.createFile(dir.resolve("mail.log"));
        var cdb = dir.resolve("tcp.smtp.cdb");
        readlog = readlogWithCdb(log, cdb, null, "15m");
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "127.0.0.13", "alice"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(30), "the grant in the CDB", () -> Files.exists(cdb) && check(cdb, "127.0.0.13").contains("RELAYCLIENT="));
        int port = freePort();
        // As qmail's run script does it: tcpserver reads the rules after dropping to -u/-g.
        tcpserver = new ProcessBuilder("tcpserver", "-q", "-R", "-H", "-l", "localhost", "-x", cdb.toString(),
                "-u", id("-u", "nobody"), "-g", id("-g", "nogroup"), "127.0.0.1", String.valueOf(port), Launchers.envReport().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("tcpserver.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(10), "tcpserver to listen", () -> canConnect(port));
        assertTrue(session("127.0.0.13", port).contains("RELAYCLIENT=[]\n"), Files.readString(dir.resolve("tcpserver.out")));
        assertTrue(session("127.0.0.14", port).contains("RELAYCLIENT unset\n"), "any other client gets its banner: "
                + Files.readString(dir.resolve("tcpserver.out")));
    }

    private static String id(String what, String name) throws Exception {
        var p = new ProcessBuilder("sh", "-c", what.equals("-u") ? "id -u " + name : "getent group " + name + " | cut -d: -f3").start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor());
        return out;
    }

    private String readlogOut() {
        try {
            return Files.readString(dir.resolve("readlog.out"));
        } catch (IOException e) {
            return "";
        }
    }

    private Process readlogWithCdb(Path log, Path cdb, Path base, String timeout, String... more) throws IOException {
        var args = new java.util.ArrayList<>(java.util.List.of("--log", log.toString(), "--db", dir.resolve("relay.db").toString(),
                "--timeout", timeout, "--tcprules", cdb.toString()));
        if (base != null) {
            args.addAll(java.util.List.of("--tcprules-base", base.toString()));
        }
        args.addAll(java.util.List.of(more));
        return Launchers.command("readlog", Map.of(), args.toArray(String[]::new))
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
    }

    /** tcprulescheck's answer for a client at {@code ip}. */
    static String check(Path cdb, String ip) {
        return check(Path.of("tcprulescheck"), cdb, ip);
    }

    static String check(Path tcprulescheck, Path cdb, String ip) {
        try {
            var pb = new ProcessBuilder(tcprulescheck.toString(), cdb.toString()).redirectErrorStream(true);
            pb.environment().put("TCPREMOTEIP", ip);
            pb.environment().remove("TCPREMOTEINFO");
            pb.environment().remove("TCPREMOTEHOST");
            var p = pb.start();
            var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException | InterruptedException e) {
            return "tcprulescheck failed: " + e;
        }
    }

    /** One TCP connection from {@code source}: everything the program writes until it closes. */
    static String session(String source, int port) {
        return session(source, "127.0.0.1", port);
    }

    static String session(String source, String server, int port) {
        try (var s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            s.connect(new InetSocketAddress(InetAddress.getByName(server), port), 5000);
            s.setSoTimeout(10_000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "connection failed: " + e;
        }
    }

    static boolean canConnect(int port) {
        try (var s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (var s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
