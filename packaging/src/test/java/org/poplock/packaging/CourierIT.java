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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.store.RelayDatabase;

/**
 * A real Courier POP3 (courierpop3login and courierpop3d, Debian's, unpacked by .ci/run) under
 * tcpserver as a daemontools service runs it, its stderr the log, authenticating against Courier's
 * authdaemond and userdb: the user alice, password secret. readlog records exactly the successful
 * logins, over IPv4 and IPv6, and with --keep-while-connected follows a session to its LOGOUT.
 */
class CourierIT {

    static final Path COURIER = Path.of(System.getenv().getOrDefault("POPLOCK_COURIER",
            "/var/lib/poplock-test/courier-pop/usr/lib/courier/courier"));

    @TempDir
    Path dir;

    private final List<Process> servers = new ArrayList<>();

    @Test
    void exactlyTheSuccessfulLoginsAreRecorded() throws Exception {
        var log = dir.resolve("courier.log");
        int port4 = TcpserverIT.freePort();
        int port6 = TcpserverIT.freePort();
        serve(Path.of("tcpserver"), "127.0.0.1", port4, log);
        serve(MailStackIT.TCPSERVER6, "::1", port6, log);
        var db = dir.resolve("relay.db");
        var readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
        try {
            Launchers.await(Duration.ofSeconds(10), "Courier under tcpserver", () -> TcpserverIT.canConnect(port4));
            Launchers.await(Duration.ofSeconds(30), "readlog's first publish", () -> Files.exists(db));

            assertTrue(Launchers.mailLogin("pop3", "127.0.0.1", "127.0.0.1", port4, "alice", "secret"),
                    "POP3 login over IPv4: " + text(log));
            assertTrue(Launchers.mailLogin("pop3", "::1", "::1", port6, "alice", "secret"), "POP3 login over IPv6: " + text(log));
            assertFalse(Launchers.mailLogin("pop3", "127.0.1.8", "127.0.0.1", port4, "alice", "wrong"), "a wrong password");

            Launchers.await(Duration.ofSeconds(15), "both logins to be published",
                    () -> Launchers.publishedIps(db).containsAll(List.of("127.0.0.1", "::1")));
            Launchers.await(Duration.ofSeconds(15), "Courier to log the failure", () -> text(log).contains("LOGIN FAILED"));
            Launchers.signal(readlog, "TERM");
            assertTrue(readlog.waitFor(20, TimeUnit.SECONDS));
            assertEquals(List.of("127.0.0.1", "::1"), Launchers.publishedIps(db), text(log));
            assertEquals("alice", RelayDatabase.open(db).find("::1").orElseThrow().user());

            // Courier's own lines carry no time: read afterwards, as a first start would, they grant nothing.
            var dry = Launchers.run("readlog", Map.of(), "--dry-run", "--once", "--log", log.toString());
            var unknownAge = " (not recorded: the line has no time and was in the log before readlog read it: its age is unknown)";
            assertEquals(List.of("127.0.0.1 alice courier" + unknownAge, "::1 alice courier" + unknownAge), dry.out().lines().sorted().toList(),
                    text(log));
        } finally {
            readlog.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            for (var server : servers) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void keepWhileConnectedHoldsTheGrantUntilCourierLogsTheLogout() throws Exception {
        var log = dir.resolve("courier.log");
        int port = TcpserverIT.freePort();
        serve(Path.of("tcpserver"), "127.0.0.1", port, log);
        var db = dir.resolve("relay.db");
        var readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString(),
                "--timeout", "3s", "--keep-while-connected")
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
        // Logged in once readlog has read the log as it was: Courier's lines have no time, and only
        // those written after that are taken as new.
        Launchers.await(Duration.ofSeconds(30), "readlog's first publish", () -> Files.exists(db));
        // A real POP3 client that stays logged in until told to quit.
        var client = new ProcessBuilder("python3", "-c", """
                import poplib, sys
                p = poplib.POP3('127.0.0.1', int(sys.argv[1]))
                p.user('alice')
                p.pass_('secret')
                p.stat()
                print('logged in', flush=True)
                sys.stdin.readline()
                p.quit()
                print('logged out', flush=True)
                """, String.valueOf(port)).start();
        try {
            Launchers.await(Duration.ofSeconds(10), "Courier under tcpserver", () -> TcpserverIT.canConnect(port));
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(client.getInputStream()));
            assertEquals("logged in", out.readLine(), text(log));
            Launchers.await(Duration.ofSeconds(15), "the login to be published", () -> Launchers.publishedIps(db).contains("127.0.0.1"));
            Launchers.grantLastsUntilLogout(db, "127.0.0.1", client, out);
            assertTrue(text(log).contains("INFO: LOGOUT, user=alice, ip=[127.0.0.1]"), text(log));
        } finally {
            client.destroyForcibly();
            readlog.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            for (var server : servers) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** courierpop3login and courierpop3d under {@code tcpserver}, appending their stderr to {@code log}. */
    private void serve(Path tcpserver, String address, int port, Path log) throws IOException {
        var pb = new ProcessBuilder(tcpserver.toString(), "-R", "-H", address, String.valueOf(port),
                COURIER.resolve("courierpop3login").toString(), COURIER.resolve("courierpop3d").toString(), "Maildir")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        servers.add(pb.start());
    }

    private static String text(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
