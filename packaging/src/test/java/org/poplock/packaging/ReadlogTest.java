package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;

/** readlog as a real process through its launcher: once, dry run, following, expiry, signals, its lock. */
class ReadlogTest {

    @TempDir
    Path dir;
    Process daemon;

    @AfterEach
    void stop() throws InterruptedException {
        if (daemon != null) {
            daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Path log(String... lines) throws IOException {
        return Files.writeString(dir.resolve("mail.log"), String.join("", lines));
    }

    private Optional<RelayEntry> published(Path db, String ip) {
        try {
            return RelayDatabase.open(db).find(ip);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Test
    void onceRecordsExactlyTheFreshSuccessfulLogins() throws Exception {
        var now = Instant.now();
        var log = log(
                Dovecot.login(now.minusSeconds(60), "pop3", "192.0.2.1", "alice"),
                Dovecot.login(now.minusSeconds(30), "imap", "2001:DB8::7", "bob"),
                Dovecot.login(now.minusSeconds(20), "imap", "::ffff:198.51.100.3", "carol"),
                Dovecot.failed(now.minusSeconds(10), "192.0.2.66", "mallory"),
                Dovecot.login(now.minus(Duration.ofHours(2)), "pop3", "192.0.2.99", "yesterday"));
        var db = dir.resolve("relay.db");
        var r = Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", db.toString());
        assertEquals(0, r.exit(), r.err());

        var json = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--json");
        assertEquals(0, json.exit(), json.err());
        var ips = json.out().lines().map(l -> l.replaceAll("^\\{\"ip\":\"([^\"]+)\".*", "$1")).sorted().toList();
        assertEquals(List.of("192.0.2.1", "198.51.100.3", "2001:db8::7"), ips, json.out());
        var alice = published(db, "192.0.2.1").orElseThrow();
        assertEquals("alice", alice.user());
        assertEquals(Duration.ofMinutes(15), Duration.between(alice.login(), alice.expiry()), "default timeout");
        assertTrue(Duration.between(now.minusSeconds(60), alice.login()).abs().toMillis() < 1, "the line's own time is the login time");

        var table = Launchers.run("showallowed", Map.of(), "--db", db.toString());
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith("192.0.2.1 ") && l.contains(" alice ")), table.out());
        assertEquals(4, table.out().lines().count(), "header and three live entries: " + table.out());
    }

    @Test
    void dryRunPrintsEveryRecognisedLoginAndWritesNothing() throws Exception {
        var now = Instant.now();
        var log = log(Dovecot.login(now, "pop3", "192.0.2.1", "alice"),
                Dovecot.failed(now, "192.0.2.66", "mallory"),
                Dovecot.login(now.minus(Duration.ofHours(2)), "imap", "::ffff:192.0.2.9", "old user"));
        var r = Launchers.run("readlog", Map.of(), "--dry-run", "--once", "--log", log.toString(), "--db", dir.resolve("relay.db").toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("192.0.2.1 alice dovecot\n192.0.2.9 \"old user\" dovecot (not recorded: too old: logged in at "
                + now.minus(Duration.ofHours(2)).truncatedTo(java.time.temporal.ChronoUnit.MICROS) + ", its grant ended at "
                + now.minus(Duration.ofHours(2)).plus(Duration.ofMinutes(15)).truncatedTo(java.time.temporal.ChronoUnit.MICROS) + ")\n", r.out());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(log), files.toList(), "dry run wrote nothing");
        }
    }

    @Test
    void followsAppendedLinesAndExpiresEntriesOnAQuietLog() throws Exception {
        var log = log();
        var db = dir.resolve("relay.db");
        daemon = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString(), "--timeout", "3s")
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(30), "the first publish", () -> Files.exists(db));

        Files.writeString(log, Dovecot.login(Instant.now(), "imap", "2001:db8::42", "dave"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "the login to be published", () -> published(db, "2001:db8::42").isPresent());
        // Nothing more is written to the log: the entry must still leave the published database.
        Launchers.await(Duration.ofSeconds(15), "the entry to expire on a quiet log", () -> {
            try {
                return RelayDatabase.open(db).entries().isEmpty();
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Test
    void sigtermPublishesClosesAndExitsZero() throws Exception {
        var log = log(Dovecot.login(Instant.now(), "pop3", "192.0.2.5", "erin"));
        var db = dir.resolve("relay.db");
        daemon = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString()).start();
        var err = new Launchers.StreamText(daemon.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "the login to be published", () -> published(db, "192.0.2.5").isPresent());
        Launchers.signal(daemon, "TERM");
        assertTrue(daemon.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, daemon.exitValue(), err.text());
        assertTrue(err.text().contains("readlog: stopped"), err.text());

        // The state was closed cleanly: a restart on an empty log still has erin.
        Files.writeString(log, "");
        var again = Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", db.toString());
        assertEquals(0, again.exit(), again.err());
        assertEquals("erin", published(db, "192.0.2.5").orElseThrow().user());
    }

    @Test
    void secondReadlogOnTheSameStateRefusesToStart() throws Exception {
        var log = log();
        var db = dir.resolve("relay.db");
        daemon = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString()).start();
        Launchers.await(Duration.ofSeconds(30), "the first publish", () -> Files.exists(db));
        var second = Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", db.toString());
        assertEquals(111, second.exit());
        assertEquals(1, second.err().lines().count(), second.err());
        assertTrue(second.err().startsWith("readlog: state ") && second.err().contains("in use by another readlog"), second.err());
        assertTrue(daemon.isAlive(), "the running readlog is untouched");
    }

    @Test
    void badArgumentsGiveOneClearLine() throws Exception {
        var r = Launchers.run("readlog", Map.of(), "--log", "x", "--timeout", "soon");
        assertEquals(2, r.exit());
        assertTrue(r.err().lines().findFirst().orElseThrow().contains("--timeout"), r.err());
        var none = Launchers.run("readlog", Map.of(), "--once");
        assertEquals(2, none.exit());
        assertTrue(none.err().startsWith("readlog: no log to follow"), none.err());
        var conf = Launchers.run("readlog", Map.of("POPLOCK_CONFIG", dir.resolve("nope.conf").toString()), "--once");
        assertEquals(2, conf.exit());
        assertTrue(conf.err().contains("nope.conf"), conf.err());
    }

    @Test
    void configFileIsSharedByAllPrograms() throws Exception {
        var log = log(Dovecot.login(Instant.now(), "pop3", "192.0.2.8", "frank"));
        var db = dir.resolve("relay.db");
        var conf = Files.writeString(dir.resolve("poplock.conf"), "db = " + db + "\nlog = " + log + "\ntimeout = 2h\n");
        var env = Map.of("POPLOCK_CONFIG", conf.toString());
        assertEquals(0, Launchers.run("readlog", env, "--once").exit());
        var e = published(db, "192.0.2.8").orElseThrow();
        assertEquals(Duration.ofHours(2), Duration.between(e.login(), e.expiry()));
        assertTrue(Launchers.run("showallowed", env).out().contains("frank"));
    }

    /** A dry run's lines without the reason a login too old by its own time gives. */
    private static String withoutAge(String out) {
        return out.replaceAll(" \\(not recorded: too old: [^)]*\\)", "");
    }

    @Test
    void customDefinitionFromTheConfigFileWithTheSameAddressValidation() throws Exception {
        var log = log(
                "2026-11-22T10:00:00Z mail mypop[12]: OK user alice from 192.0.2.31\n",
                "2026-11-22T10:00:01Z mail mypop[13]: OK user bob from 999.1.1.1\n",
                "2026-11-22T10:00:02Z mail mypop[14]: OK user carol from mail.example.org\n",
                Dovecot.login(Instant.parse("2026-11-22T10:00:03Z"), "pop3", "192.0.2.32", "dave"));
        var conf = Files.writeString(dir.resolve("poplock.conf"),
                "# a server of our own\ncustom.mypop = \\S+ mypop\\[\\d+\\]: OK user (?<user>\\S+) from (?<ip>\\S+)$\n");
        var env = Map.of("POPLOCK_CONFIG", conf.toString());
        var all = Launchers.run("readlog", env, "--dry-run", "--once", "--log", log.toString());
        assertEquals(0, all.exit(), all.err());
        assertEquals("192.0.2.31 alice mypop\n192.0.2.32 dave dovecot\n", withoutAge(all.out()));

        var narrowed = Launchers.run("readlog", env, "--dry-run", "--once", "--parser", "mypop", "--log", log.toString());
        assertEquals("192.0.2.31 alice mypop\n", withoutAge(narrowed.out()));
        var listed = Launchers.run("readlog", env, "--list-parsers");
        assertTrue(listed.out().contains("mypop (custom, every line)\n") && listed.out().contains("popa3d popa3d\n"), listed.out());

        var unknown = Launchers.run("readlog", env, "--once", "--parser", "sendmail", "--log", log.toString());
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().startsWith("readlog: unknown parser 'sendmail' (known: dovecot, courier"), unknown.err());
        var bad = Files.writeString(dir.resolve("bad.conf"), "custom.broken = (?<user>x) no ip group\n");
        var refused = Launchers.run("readlog", Map.of("POPLOCK_CONFIG", bad.toString()), "--once", "--log", log.toString());
        assertEquals(2, refused.exit());
        assertTrue(refused.err().contains("broken") && refused.err().contains("ip"), refused.err());
    }

    @Test
    void neverRelayNetworksAndDeniedUsersAreNotRecorded() throws Exception {
        var now = Instant.now();
        var log = log(Dovecot.login(now, "pop3", "10.1.2.3", "alice"),
                Dovecot.login(now, "pop3", "192.0.2.40", "root"),
                Dovecot.login(now, "imap", "::ffff:192.0.2.41", "bob"));
        var db = dir.resolve("relay.db");
        var args = new String[] {"--once", "--log", log.toString(), "--db", db.toString(), "--never-relay", "10.0.0.0/8",
            "--deny-user", "root"};
        var r = Launchers.run("readlog", Map.of(), args);
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("192.0.2.41"), RelayDatabase.open(db).entries().stream().map(RelayEntry::ip).toList());

        var dry = Launchers.run("readlog", Map.of(), "--dry-run", "--once", "--log", log.toString(), "--never-relay", "10.0.0.0/8",
                "--deny-user", "root");
        assertEquals("10.1.2.3 alice dovecot (not recorded: never-relay 10.0.0.0/8)\n192.0.2.40 root dovecot (not recorded: deny-user)\n"
                + "192.0.2.41 bob dovecot\n", dry.out());
        var bad = Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--never-relay", "10.0.0.0/33");
        assertEquals(2, bad.exit());
        assertEquals(1, bad.err().lines().count(), bad.err());
    }

    @Test
    void optionsComeFromFlagThenEnvironmentThenConfigFile() throws Exception {
        var log = log(Dovecot.login(Instant.now(), "pop3", "192.0.2.90", "envuser"));
        var conf = Files.writeString(dir.resolve("poplock.conf"), "db = " + dir.resolve("from-file.db") + "\ntimeout = 1h\n");
        var env = Map.of("POPLOCK_CONFIG", conf.toString(), "POPLOCK_TIMEOUT", "2h", "POPLOCK_LOG", log.toString());
        assertEquals(0, Launchers.run("readlog", env, "--once").exit());
        var fromFile = published(dir.resolve("from-file.db"), "192.0.2.90").orElseThrow();
        assertEquals(Duration.ofHours(2), Duration.between(fromFile.login(), fromFile.expiry()), "the environment beats the file");
        assertEquals(0, Launchers.run("readlog", env, "--once", "--timeout", "3h", "--db", dir.resolve("flag.db").toString(), "--state", dir.resolve("flag.state").toString()).exit());
        var fromFlag = published(dir.resolve("flag.db"), "192.0.2.90").orElseThrow();
        assertEquals(Duration.ofHours(3), Duration.between(fromFlag.login(), fromFlag.expiry()), "the flag beats the environment");

        var bad = Launchers.run("readlog", Map.of("POPLOCK_TIMEOUT", "soon", "POPLOCK_LOG", log.toString()), "--once");
        assertEquals(2, bad.exit());
        assertEquals("readlog: in $POPLOCK_TIMEOUT: Invalid value for option '--timeout': not a duration: 'soon' (use e.g. 900s, 15m, 1h)\n", bad.err());
        var badFile = Files.writeString(dir.resolve("bad.conf"), "timeout = 5x\n");
        var fromBadFile = Launchers.run("readlog", Map.of("POPLOCK_CONFIG", badFile.toString(), "POPLOCK_LOG", log.toString()), "--once");
        assertEquals(2, fromBadFile.exit());
        assertTrue(fromBadFile.err().startsWith("readlog: in " + badFile + ": Invalid value for option '--timeout'"), fromBadFile.err());
    }
}
