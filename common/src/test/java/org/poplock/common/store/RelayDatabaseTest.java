package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelayDatabaseTest {

    @TempDir
    Path dir;

    private final Instant t0 = Instant.parse("2026-11-22T10:00:00Z");

    @Test
    void publishedEntriesReadBackExactly() throws IOException {
        var db = dir.resolve("relay.db");
        var alice = RelayEntry.of("1.2.3.4", "alice", t0, Duration.ofMinutes(15));
        var bob = RelayEntry.of("2001:db8::1", "bob@example.org", t0.plusSeconds(30), Duration.ofMinutes(15));
        var odd = RelayEntry.of("10.0.0.1", "us\u00e9r with spaces", t0, Duration.ofSeconds(1));
        RelayDatabase.publish(db, List.of(alice, bob, odd));

        var read = RelayDatabase.open(db);
        assertEquals(alice, read.find("1.2.3.4").orElseThrow());
        assertEquals(bob, read.find("2001:db8::1").orElseThrow());
        assertEquals(odd, read.find("10.0.0.1").orElseThrow());
        assertTrue(read.find("1.2.3.5").isEmpty());
        assertEquals(List.of(alice, odd, bob), read.entries(), "key order");
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(db)));
    }

    @Test
    void emptyDatabaseIsValid() throws IOException {
        var db = dir.resolve("relay.db");
        RelayDatabase.publish(db, List.of());
        assertTrue(RelayDatabase.open(db).entries().isEmpty());
        assertTrue(RelayDatabase.open(db).find("1.2.3.4").isEmpty());
    }

    @Test
    void publishReplacesAndLeavesNoTemporaryFile() throws IOException {
        var db = dir.resolve("relay.db");
        RelayDatabase.publish(db, List.of(RelayEntry.of("1.2.3.4", "a", t0, Duration.ofMinutes(1))));
        RelayDatabase.publish(db, List.of(RelayEntry.of("5.6.7.8", "b", t0, Duration.ofMinutes(1))));
        var read = RelayDatabase.open(db);
        assertTrue(read.find("1.2.3.4").isEmpty());
        assertEquals("b", read.find("5.6.7.8").orElseThrow().user());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(db), files.toList());
        }
    }

    @Test
    void expiryIsDecidedAtReadTime() {
        var e = RelayEntry.of("1.2.3.4", "alice", t0, Duration.ofMinutes(15));
        assertTrue(e.isLiveAt(t0));
        assertTrue(e.isLiveAt(t0.plusSeconds(899)));
        assertFalse(e.isLiveAt(t0.plusSeconds(900)));
        assertEquals(Duration.ofMinutes(5), e.timeLeftAt(t0.plusSeconds(600)));
        assertEquals(Duration.ZERO, e.timeLeftAt(t0.plusSeconds(2000)));
    }

    @Test
    void badFilesAreErrorsNotAnswers() throws IOException {
        var empty = Files.createFile(dir.resolve("empty"));
        assertThrows(IOException.class, () -> RelayDatabase.open(empty));
        assertThrows(IOException.class, () -> RelayDatabase.open(dir.resolve("missing")));
        assertThrows(IOException.class, () -> RelayDatabase.open(dir));

        var garbage = dir.resolve("garbage");
        var bytes = new byte[4096];
        new Random(42).nextBytes(bytes);
        Files.write(garbage, bytes);
        assertThrows(IOException.class, () -> lookUpEverything(garbage));

        var text = Files.writeString(dir.resolve("text"), "1.2.3.4 alice\n");
        assertThrows(IOException.class, () -> lookUpEverything(text));
    }

    @Test
    void truncatedDatabaseNeverAnswersWrongly() throws IOException {
        var db = dir.resolve("relay.db");
        var entries = new ArrayList<RelayEntry>();
        for (int i = 0; i < 2000; i++) {
            entries.add(RelayEntry.of("10.0." + (i / 256) + "." + (i % 256), "user" + i, t0, Duration.ofMinutes(15)));
        }
        RelayDatabase.publish(db, entries);
        var full = Files.readAllBytes(db);
        for (int cut : new int[] {1, 16, full.length / 3, full.length / 2, full.length - 1}) {
            var truncated = dir.resolve("cut" + cut);
            Files.write(truncated, java.util.Arrays.copyOf(full, cut));
            try {
                var read = RelayDatabase.open(truncated);
                for (var e : entries) {
                    var found = read.find(e.ip());
                    found.ifPresent(f -> assertEquals(e, f, "wrong entry from a file cut at " + cut));
                }
            } catch (IOException expected) {
                // refusing the file is the right answer too
            }
        }
    }

    private static void lookUpEverything(Path file) throws IOException {
        var read = RelayDatabase.open(file);
        read.find("1.2.3.4");
        read.entries();
    }
}
