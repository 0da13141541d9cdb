package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.poplock.packaging.ReadlogProcess.listing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real readlog and showallowed: what readlog knows of a grant's blast radius (a shared address
 * and its users, a flagged user) reaches showallowed through the file readlog publishes beside the
 * database, as columns and as JSON, and leaves it when the flag is lifted.
 */
class BlastListingTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ReadlogProcess readlog = new ReadlogProcess();

    @Test
    void showallowedMarksTheSharedAddressWithItsUsersAndListsTheFlaggedUser() throws Exception {
        var log = Files.writeString(dir.resolve("mail.log"), "");
        var db = dir.resolve("relay.db");
        readlog.start("--log", log.toString(), "--db", db.toString(), "--shared-users", "1", "--shared-grant", "full", "--flag-networks", "2");
        var now = Instant.now();
        Files.writeString(log, Dovecot.login(now, "pop3", "192.0.2.7", "alice") + Dovecot.login(now, "pop3", "192.0.2.7", "bob")
                + Dovecot.login(now, "pop3", "198.51.100.9", "carol")
                + Dovecot.login(now, "pop3", "203.0.113.1", "mallory") + Dovecot.login(now, "pop3", "203.0.114.1", "mallory")
                + Dovecot.login(now, "pop3", "203.0.115.1", "mallory"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "flagged", () -> readlog.said().contains("flagged mallory"));
        var blast = db.resolveSibling("relay.db.blast");
        // The table of user names lags the database by up to a second.
        Launchers.await(Duration.ofSeconds(20), "the grants and the flag listed", () -> listing(db).contains("mallory") && listing(db).contains(" carol "));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(blast)), "it names users");

        var text = listing(db);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("192.0.2.7 ") && l.endsWith(" local shared")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("198.51.100.9 ") && l.endsWith(" local")), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("192\\.0\\.2\\.7 +alice bob")), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("mallory +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +(24h|23h59m\\d+s)")), text);
        assertTrue(text.lines().noneMatch(l -> l.startsWith("198.51.100.9") && l.contains("shared")), text);

        var json = listing(db, "--json");
        assertTrue(json.lines().anyMatch(l -> l.startsWith("{\"ip\":\"192.0.2.7\"") && l.endsWith(",\"shared\":true}")), json);
        assertTrue(json.lines().anyMatch(l -> l.startsWith("{\"ip\":\"198.51.100.9\"") && l.endsWith(",\"shared\":false}")), json);
        assertTrue(json.lines().anyMatch("{\"shared_address\":\"192.0.2.7\",\"users\":[\"alice\",\"bob\"]}"::equals), json);
        assertTrue(json.lines().anyMatch(l -> l.matches("\\{\"flagged_user\":\"mallory\",\"until\":\"[-0-9T:.]+Z\",\"seconds_left\":(86400|8639\\d)}")),
                json);

        assertEquals(0, Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--unflag", "mallory").exit());
        Launchers.await(Duration.ofSeconds(20), "the flag gone from the listing", () -> !listing(db).contains("mallory"));
    }
}
