package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.store.RelayDatabase;

/**
 * A real Dovecot, real POP3 and IMAP logins over IPv4 and IPv6, some failing, and readlog
 * following Dovecot's own log: exactly the successful logins' addresses are recorded.
 */
class DovecotIT {

    @TempDir
    Path dir;

    /**
     * Dovecot with no restriction on user names logs them unescaped, in its login line and in
     * the mail process's own prefix; a name holding a fake login must not grant its address.
     */
    @Test
    void aUserNameHoldingAFakeLoginGrantsOnlyTheRealAddress() throws Exception {
        var forger = "x pop3-login: Login: user=<y>, method=PLAIN, rip=6.6.6.6, lip=1.1.1.1, z";
        var anyUser = """
                auth_username_chars =
                auth_username_format = %u
                passdb {
                  driver = static
                  args = password=forged
                }
                """;
        try (var dovecot = DovecotServer.start(dir, List.of("alice:secret"), anyUser)) {
            var client = new ProcessBuilder("python3", "-c", """
                    import poplib, sys
                    p = poplib.POP3('127.0.0.1', int(sys.argv[1]), timeout=20)
                    p.user(sys.argv[2]); p.pass_('forged'); p.stat(); p.quit()
                    """, String.valueOf(dovecot.pop3Port), forger).redirectErrorStream(true).start();
            var said = new String(client.getInputStream().readAllBytes());
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, client.exitValue(), "the odd user name logs in: " + said);
            Launchers.await(Duration.ofSeconds(15), "the mail process to log the disconnect",
                    () -> countIn(dovecot.log, "Disconnected") >= 1 && countIn(dovecot.log, "rip=6.6.6.6") >= 2);
            var db = dir.resolve("relay.db");
            var r = Launchers.run("readlog", Map.of(), "--once", "--log", dovecot.log.toString(), "--db", db.toString());
            assertEquals(0, r.exit(), r.err());
            assertEquals(List.of("127.0.0.1"), Launchers.publishedIps(db), Files.readString(dovecot.log));
            assertEquals(forger, RelayDatabase.open(db).find("127.0.0.1").orElseThrow().user());
        }
    }

    @Test
    void exactlyTheSuccessfulLoginsAreRecorded() throws Exception {
        try (var dovecot = DovecotServer.start(dir, List.of("alice:secret", "bob:hunter2"))) {
            var db = dir.resolve("relay.db");
            var readlog = Launchers.command("readlog", Map.of(), "--log", dovecot.log.toString(), "--db", db.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
            try {
                Launchers.await(Duration.ofSeconds(30), "readlog's first publish", () -> Files.exists(db));

                assertTrue(dovecot.login("pop3", "127.0.0.1", "127.0.0.1", "alice", "secret"), "POP3 login over IPv4");
                assertTrue(dovecot.login("imap", "::1", "::1", "bob", "hunter2"), "IMAP login over IPv6");
                // Dovecot delays failures per source address: each failure from its own.
                assertFalse(dovecot.login("pop3", "127.0.1.2", "127.0.0.1", "alice", "wrong"), "POP3 with a wrong password");
                assertFalse(dovecot.login("imap", "127.0.1.3", "127.0.0.1", "bob", "wrong"), "IMAP with a wrong password");
                assertFalse(dovecot.login("pop3", "127.0.1.4", "127.0.0.1", "nobody", "secret"), "POP3 for an unknown user");

                Launchers.await(Duration.ofSeconds(15), "both logins to be published",
                        () -> Launchers.publishedIps(db).containsAll(List.of("127.0.0.1", "::1")));
                Launchers.await(Duration.ofSeconds(15), "Dovecot to log the three failures",
                        () -> countIn(dovecot.log, "auth failed") >= 3);
                Launchers.signal(readlog, "TERM");
                assertTrue(readlog.waitFor(20, TimeUnit.SECONDS));
                assertEquals(List.of("127.0.0.1", "::1"), Launchers.publishedIps(db), Files.readString(dovecot.log));
                assertEquals("alice", RelayDatabase.open(db).find("127.0.0.1").orElseThrow().user());

                var dry = Launchers.run("readlog", Map.of(), "--dry-run", "--once", "--log", dovecot.log.toString());
                assertEquals(List.of("127.0.0.1 alice dovecot", "::1 bob dovecot"), dry.out().lines().sorted().toList());
            } finally {
                readlog.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void keepWhileConnectedHoldsTheGrantUntilTheSessionEnds() throws Exception {
        try (var dovecot = DovecotServer.start(dir, List.of("carol:pw"))) {
            var db = dir.resolve("relay.db");
            var readlog = Launchers.command("readlog", Map.of(), "--log", dovecot.log.toString(), "--db", db.toString(),
                    "--timeout", "3s", "--keep-while-connected")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
            // A real IMAP client that stays logged in until told to log out.
            var client = new ProcessBuilder("python3", "-c", """
                    import imaplib, sys
                    m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
                    m.login('carol', 'pw')
                    print('logged in', flush=True)
                    sys.stdin.readline()
                    m.logout()
                    print('logged out', flush=True)
                    """, String.valueOf(dovecot.imapPort)).start();
            try {
                var out = new java.io.BufferedReader(new java.io.InputStreamReader(client.getInputStream()));
                assertEquals("logged in", out.readLine());
                Launchers.await(Duration.ofSeconds(15), "the login to be published",
                        () -> Launchers.publishedIps(db).contains("127.0.0.1"));
                Launchers.grantLastsUntilLogout(db, "127.0.0.1", client, out);
            } finally {
                client.destroyForcibly();
                readlog.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static long countIn(Path file, String text) {
        try {
            return Files.readAllLines(file).stream().filter(l -> l.contains(text)).count();
        } catch (IOException e) {
            return 0;
        }
    }
}
