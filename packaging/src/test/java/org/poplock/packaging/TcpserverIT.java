package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        tcpserver = new ProcessBuilder("tcpserver", "-q", "-R", "-H", "-l", "localhost", "127.0.0.1", String.valueOf(port),
                Launchers.BIN.resolve("relaylock").toString(), "--db", db.toString(), Launchers.envReport().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("tcpserver.out").toFile()).start();
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

    /** One TCP connection from {@code source}: everything the program writes until it closes. */
    static String session(String source, int port) {
        try (var s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 5000);
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
