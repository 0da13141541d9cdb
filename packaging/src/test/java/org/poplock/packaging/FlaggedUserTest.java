package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real readlog and showallowed: a user who logs in from more networks than --flag-networks
 * within an hour is flagged (one line), their grants end, their next login grants nothing, and
 * showallowed --unflag lifts the flag through the spool.
 */
class FlaggedUserTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ReadlogProcess readlog = new ReadlogProcess();

    @Test
    void aUserFromTooManyNetworksIsFlaggedLosesTheGrantsAndTheAdminLiftsTheFlag() throws Exception {
        var log = Files.writeString(dir.resolve("mail.log"), "");
        var db = dir.resolve("relay.db");
        readlog.start("--log", log.toString(), "--db", db.toString(), "--flag-networks", "2");
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.7", "mallory")
                + Dovecot.login(Instant.now(), "pop3", "198.51.100.7", "mallory"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "two grants", () -> Launchers.publishedIps(db).size() == 2);
        // The third network, and a login while flagged, in one write: read in one round.
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "203.0.113.7", "mallory")
                + Dovecot.login(Instant.now(), "pop3", "192.0.2.7", "mallory"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "flagged", () -> readlog.said().contains("flagged mallory: logins from more than 2 networks"));
        Launchers.await(Duration.ofSeconds(20), "the grants ended", () -> Launchers.publishedIps(db).isEmpty());
        var unflag = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--unflag", "mallory");
        assertEquals(0, unflag.exit(), unflag.err());
        assertTrue(unflag.out().contains("done: unflag mallory"), unflag.out());
        assertTrue(readlog.said().contains("admin: unflagged mallory"), readlog.said());
        assertFalse(Launchers.publishedIps(db).contains("192.0.2.7"), "the login while flagged granted nothing");
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.7", "mallory"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "a login grants again", () -> Launchers.publishedIps(db).contains("192.0.2.7"));
    }

    @Test
    void aFlagSurvivesARestart() throws Exception {
        var log = Files.writeString(dir.resolve("mail.log"), "");
        var db = dir.resolve("relay.db");
        var args = new String[] {"--log", log.toString(), "--db", db.toString(), "--flag-networks", "2"};
        readlog.start(args);
        var now = Instant.now();
        Files.writeString(log, Dovecot.login(now, "pop3", "192.0.2.7", "mallory") + Dovecot.login(now, "pop3", "198.51.100.7", "mallory")
                + Dovecot.login(now, "pop3", "203.0.113.7", "mallory"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "flagged", () -> readlog.said().contains("flagged mallory"));
        Launchers.signal(readlog.process(), "TERM");
        assertEquals(0, readlog.process().waitFor(), readlog.said());

        readlog.start(args);
        Launchers.await(Duration.ofSeconds(20), "the flag listed after the restart",
                () -> ReadlogProcess.listing(db).lines().anyMatch(l -> l.startsWith("mallory ")));
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.9", "mallory") + Dovecot.login(Instant.now(), "pop3", "192.0.2.10", "alice"),
                StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "alice's grant", () -> Launchers.publishedIps(db).contains("192.0.2.10"));
        assertFalse(Launchers.publishedIps(db).contains("192.0.2.9"), "the flag kept across the restart: mallory's login grants nothing");
    }
}
