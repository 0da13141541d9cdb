package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;

/** Every bad setting is named in one line, through the real launchers; relaylock still runs PROGRAM. */
class BadSettingsTest {

    @TempDir
    Path dir;
    Path db;
    Path report;

    @BeforeEach
    void database() throws Exception {
        db = dir.resolve("relay.db");
        var now = Instant.now();
        RelayDatabase.publish(db, List.of(new RelayEntry("192.0.2.10", "alice", now, now.plusSeconds(600))));
        report = Launchers.envReport();
    }

    @Test
    void aMisspeltKeyInTheConfigurationFileIsNamedWithItsLineAndTheNearestKey() throws Exception {
        var conf = Files.writeString(dir.resolve("poplock.conf"), "# ours\ndb = " + db + "\n\ntimout = 1m\n");
        var env = Map.of("POPLOCK_CONFIG", conf.toString());
        var expected = conf + " line 4: unknown key 'timout' (did you mean 'timeout'?)";
        for (var program : List.of("readlog", "showallowed")) {
            var r = Launchers.run(program, env, program.equals("readlog") ? new String[] {"--once", "--log", dir.resolve("none").toString()} : new String[0]);
            assertEquals(2, r.exit(), program + ": " + r.err());
            assertEquals(program + ": " + expected + "\n", r.err(), program);
        }
        // relaylock says so and applies the rest: the database the file names still grants.
        var r = Launchers.run("relaylock", Map.of("POPLOCK_CONFIG", conf.toString(), "TCPREMOTEIP", "192.0.2.10"), report.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("RELAYCLIENT=[]\n"), r.out());
        assertEquals("relaylock: " + expected + "; ignored\n", r.err());
    }

    @Test
    void anotherProgramsKeyAndACustomDefinitionAreNotTypos() throws Exception {
        var conf = Files.writeString(dir.resolve("poplock.conf"), "db = " + db + "\nlog = " + dir.resolve("mail.log")
                + "\nrelayclient-value = 1\njson = false\ncustom.mine = x (?<user>\\S+) (?<ip>\\S+)$\n");
        Files.writeString(dir.resolve("mail.log"), "");
        var env = Map.of("POPLOCK_CONFIG", conf.toString(), "TCPREMOTEIP", "192.0.2.10");
        assertEquals(0, Launchers.run("readlog", env, "--once", "--db", dir.resolve("readlog.db").toString()).exit());
        assertEquals(0, Launchers.run("showallowed", env).exit());
        var r = Launchers.run("relaylock", env, report.toString());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("RELAYCLIENT=[1]\n"), r.out());
    }

    @Test
    void anEmptyOrUnusableDatabasePathIsRefusedAndNothingIsWrittenOutsideIt() throws Exception {
        var work = Files.createDirectory(dir.resolve("work"));
        var log = Files.writeString(dir.resolve("mail.log"), "");
        var pb = Launchers.command("readlog", Map.of(), "--once", "--log", log.toString(), "--db", "").directory(work.toFile());
        var p = pb.start();
        var err = new String(p.getErrorStream().readAllBytes());
        assertEquals(2, p.waitFor(), err);
        assertEquals("readlog: --db: empty path; name a file, e.g. --db /var/lib/poplock/relay.db\n", err);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("mail.log", "relay.db", "work"), files.map(f -> f.getFileName().toString()).sorted().toList(),
                    "nothing written beside the working directory");
        }
        var missing = Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", "/nonexistent/dir/x.db");
        assertEquals(2, missing.exit());
        assertEquals("readlog: --db /nonexistent/dir/x.db: directory /nonexistent/dir does not exist\n", missing.err());
        var directory = Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", work.toString());
        assertEquals(2, directory.exit());
        assertEquals("readlog: --db " + work + ": is a directory; name a file in it\n", directory.err());
        var show = Launchers.run("showallowed", Map.of(), "--db", "");
        assertEquals(2, show.exit());
        assertEquals("showallowed: --db: empty path; name a file, e.g. --db /var/lib/poplock/relay.db\n", show.err());
    }

    @Test
    void relaylockWithAnUnknownOptionStillRunsTheProgramWithoutRelayClient() throws Exception {
        var env = Map.of("TCPREMOTEIP", "192.0.2.10");
        var r = Launchers.run("relaylock", env, "--bogus", "--db", db.toString(), report.toString(), "arg");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("RELAYCLIENT unset\n") && r.out().contains("ARGS arg\n"), r.out());
        assertEquals("relaylock: unknown option \"--bogus\" (relaylock --help lists them); running without RELAYCLIENT\n", r.err());
        // A misspelt option with a value: the value is not taken for PROGRAM.
        var valued = Launchers.run("relaylock", env, "--tiemout", "5m", report.toString());
        assertEquals(0, valued.exit(), valued.err());
        assertTrue(valued.out().startsWith("RELAYCLIENT unset\n"), valued.out());
        var none = Launchers.run("relaylock", env, "--bogus");
        assertEquals(111, none.exit());
        assertEquals(2, none.err().lines().count(), "one line for the option, one for the missing program: " + none.err());
    }

    @Test
    void picocliErrorsAreOneLine() throws Exception {
        for (var program : List.of("readlog", "showallowed")) {
            var r = Launchers.run(program, Map.of(), "--no-such-option");
            assertEquals(2, r.exit(), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith(program + ": Unknown option: '--no-such-option'"), r.err());
        }
    }

    @Test
    void aDurationTooLongForTheClockIsRefusedWhenParsed() throws Exception {
        var huge = "999999999d".repeat(400);
        var r = Launchers.run("readlog", Map.of(), "--once", "--log", dir.resolve("none").toString(), "--db", db.toString(), "--timeout", huge);
        assertEquals(2, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("longer than the most allowed, 365d"), r.err());
        var show = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--timeout", "fortnight");
        assertEquals(2, show.exit(), "showallowed no longer ignores a bad --timeout: " + show.err());
        assertEquals(1, show.err().lines().count(), show.err());
        assertFalse(show.out().contains("192.0.2.10"), show.out());
    }

    /** The new sources' settings: each mistake one line, exit 2 or 111, and a listener that started is closed again. */
    @Test
    void theJournalAndDovecotsReportsRefuseBadSettingsInOneLine() throws Exception {
        var out = dir.resolve("out.db").toString();
        var noSecret = Launchers.run("readlog", Map.of(), "--once", "--db", out, "--dovecot-policy", "inet:127.0.0.1:4001");
        assertEquals(2, noSecret.exit());
        assertEquals("readlog: --dovecot-policy needs --dovecot-policy-secret-file FILE (the Bearer secret Dovecot sends)\n", noSecret.err());
        var shortSecret = Files.writeString(dir.resolve("short.secret"), "abc\n");
        var weak = Launchers.run("readlog", Map.of(), "--once", "--db", out, "--dovecot-policy", "inet:127.0.0.1:4001",
                "--dovecot-policy-secret-file", shortSecret.toString());
        assertEquals(2, weak.exit());
        assertTrue(weak.err().endsWith("the secret must be one word of at least 16 printable ASCII characters\n") && !weak.err().contains("abc"), weak.err());
        var badMatch = Launchers.run("readlog", Map.of(), "--once", "--db", out, "--journal", "--journal-match", "-u dovecot");
        assertEquals(2, badMatch.exit());
        assertEquals("readlog: --journal-match -u dovecot: give FIELD=VALUE (a field name in capitals) or +\n", badMatch.err());

        // A port taken: one line and 111, whether it is the first listener (Dovecot's reports) or
        // one after others have started (the policy service, after /metrics and Dovecot's reports).
        var secret = Files.writeString(dir.resolve("good.secret"), "0123456789abcdef0123\n");
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            var first = Launchers.run("readlog", Map.of(), "--db", out, "--dovecot-policy", "inet:127.0.0.1:" + taken.getLocalPort(),
                    "--dovecot-policy-secret-file", secret.toString());
            assertEquals(111, first.exit(), first.err());
            assertTrue(first.err().matches("readlog: --dovecot-policy inet:127.0.0.1:" + taken.getLocalPort() + ": cannot listen: [^\n]+\n"), first.err());
            var later = Launchers.run("readlog", Map.of(), "--db", out, "--metrics", "inet:127.0.0.1:" + RedisServer.freePort(), "--dovecot-policy",
                    "inet:127.0.0.1:" + RedisServer.freePort(), "--dovecot-policy-secret-file", secret.toString(), "--policy",
                    "inet:127.0.0.1:" + taken.getLocalPort());
            assertEquals(111, later.exit(), later.err());
            assertTrue(later.err().matches("readlog: --policy inet:127.0.0.1:" + taken.getLocalPort() + ": cannot listen: [^\n]+\n"), later.err());
            assertFalse((first.err() + later.err()).contains("0123456789abcdef"), "the secret is in no message");
        }
    }
}
