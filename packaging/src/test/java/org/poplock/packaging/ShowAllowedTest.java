package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.store.RelayLookup;

/** The admin's everyday tool: listing, and changes that go through readlog, the only writer. */
class ShowAllowedTest {

    @TempDir
    Path dir;
    Process readlog;

    @AfterEach
    void stop() throws InterruptedException {
        if (readlog != null) {
            readlog.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void addRemoveFlushReachTheDatabaseThroughReadlog() throws Exception {
        var db = dir.resolve("relay.db");
        var log = Files.createFile(dir.resolve("mail.log"));
        var args = new String[] {"--db", db.toString()};
        var notRunning = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--add", "192.0.2.77");
        assertEquals(111, notRunning.exit());
        assertTrue(notRunning.err().startsWith("showallowed: readlog is not running"), notRunning.err());

        readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(30), "the first publish", () -> Files.exists(db));

        var add = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--add", "::ffff:192.0.2.77", "--user", "bob", "--for", "2h");
        assertEquals(0, add.exit(), add.err());
        var e = RelayLookup.find(db, "192.0.2.77").orElseThrow();
        assertEquals("", e.user(), "relaylock's database holds no user name");
        // The table with user names follows the database within a second.
        Launchers.await(Duration.ofSeconds(10), "bob in the users table", () -> {
            try {
                return org.poplock.common.store.RelayDatabase.open(db).find("192.0.2.77").map(u -> u.user().equals("bob")).orElse(false);
            } catch (IOException ex) {
                return false;
            }
        });
        assertEquals(Duration.ofHours(2), Duration.between(e.login(), e.expiry()));
        var listed = Launchers.run("showallowed", Map.of(), args);
        assertTrue(listed.out().lines().anyMatch(l -> l.startsWith("192.0.2.77 ") && l.contains(" bob ") && l.matches(".* (2h|1h59m5\\ds) +local")), listed.out());
        var relay = Launchers.run("relaylock", Map.of("TCPREMOTEIP", "192.0.2.77"), "--db", db.toString(), "/usr/bin/env");
        assertTrue(relay.out().lines().anyMatch("RELAYCLIENT="::equals), relay.out());

        assertEquals(0, Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--remove", "192.0.2.77").exit());
        assertTrue(RelayLookup.find(db, "192.0.2.77").isEmpty());

        for (var ip : new String[] {"192.0.2.78", "2001:db8::78"}) {
            var added = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--add", ip);
            assertEquals(0, added.exit(), ip + ": " + added.err());
            assertTrue(RelayLookup.find(db, ip).isPresent(), ip + " published when --add returns");
        }
        var both = Launchers.run("showallowed", Map.of(), args);
        assertTrue(both.out().lines().anyMatch(l -> l.startsWith("192.0.2.78 ")) && both.out().lines().anyMatch(l -> l.startsWith("2001:db8::78 ")),
                both.out());
        assertEquals(0, Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--flush").exit());
        assertEquals(1, Launchers.run("showallowed", Map.of(), args).out().lines().count(), "only the header is left");

        var bad = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--add", "mail.example.org");
        assertEquals(2, bad.exit());
        assertEquals("showallowed: not an IP address literal: \"mail.example.org\"\n", bad.err());
        var json = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--json");
        assertEquals("", json.out());
    }
}
