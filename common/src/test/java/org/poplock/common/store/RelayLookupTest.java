package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** relaylock's MapDB-free reader gives exactly MapDB's answers, and refuses what MapDB did not write. */
class RelayLookupTest {

    @TempDir
    Path dir;

    private final Instant t0 = Instant.parse("2026-11-22T10:00:00Z");

    private List<RelayEntry> randomEntries(Random random, int n) {
        var entries = new ArrayList<RelayEntry>();
        for (int i = 0; i < n; i++) {
            var ip = random.nextBoolean()
                    ? random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256)
                    : "2001:db8:" + Integer.toHexString(random.nextInt(65536)) + "::" + Integer.toHexString(1 + random.nextInt(65535));
            var user = new StringBuilder("u");
            for (int c = random.nextInt(40); c > 0; c--) {
                user.append((char) (random.nextBoolean() ? 'a' + random.nextInt(26) : 0x80 + random.nextInt(0x3000)));
            }
            entries.add(RelayEntry.of(ip, user.toString(), t0.plusSeconds(random.nextInt(1000)), Duration.ofMinutes(15)));
        }
        return entries;
    }

    @Test
    void agreesWithMapDbOnEveryKeyPresentOrNot() throws IOException {
        var random = new Random(1);
        for (int n : new int[] {0, 1, 2, 31, 32, 33, 500, 5000}) {
            var db = dir.resolve("relay-" + n + ".db");
            var entries = randomEntries(random, n);
            RelayDatabase.publish(db, entries);
            var mapdb = RelayDatabase.open(db);
            for (var e : entries) {
                assertEquals(mapdb.find(e.ip()), RelayLookup.find(db, e.ip()), n + " entries, key " + e.ip());
            }
            for (var probe : List.of("0.0.0.0", "255.255.255.255", "1.2.3.4", "::1", "")) {
                assertEquals(mapdb.find(probe), RelayLookup.find(db, probe), n + " entries, absent key " + probe);
            }
            // Keys that fall between stored ones, before the first and after the last of a page
            // or node: where a binary search goes wrong.
            for (var e : randomEntries(random, 300)) {
                assertEquals(mapdb.find(e.ip()), RelayLookup.find(db, e.ip()), n + " entries, key " + e.ip());
            }
        }
    }

    @Test
    void emptyDatabaseHasNoEntries() throws IOException {
        var db = dir.resolve("relay.db");
        RelayDatabase.publish(db, List.of());
        assertEquals(Optional.empty(), RelayLookup.find(db, "1.2.3.4"));
    }

    @Test
    void damagedFilesAreErrorsOrTheRightAnswerNeverAWrongOne() throws IOException {
        var random = new Random(2);
        var entries = randomEntries(random, 3000);
        var db = dir.resolve("relay.db");
        RelayDatabase.publish(db, entries);
        var good = Files.readAllBytes(db);
        var damaged = dir.resolve("damaged.db");
        int refused = 0;
        for (int round = 0; round < 300; round++) {
            var bytes = round % 3 == 0 ? Arrays.copyOf(good, random.nextInt(good.length)) : good.clone();
            if (round % 3 != 0) {
                for (int k = 1 + random.nextInt(8); k > 0; k--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
            Files.write(damaged, bytes);
            var probe = entries.get(random.nextInt(entries.size()));
            try {
                var found = RelayLookup.find(damaged, probe.ip());
                // A flipped byte inside a value changes that value; what must never happen is an
                // entry under another key, or a crash.
                found.ifPresent(f -> assertEquals(probe.ip(), f.ip()));
            } catch (IOException expected) {
                refused++;
            }
        }
        assertTrue(refused > 50, "most damage is noticed: " + refused);
    }

    @Test
    void garbageAndForeignFilesAreRefused() throws IOException {
        var bytes = new byte[10000];
        new Random(3).nextBytes(bytes);
        var garbage = Files.write(dir.resolve("garbage"), bytes);
        assertThrows(IOException.class, () -> RelayLookup.find(garbage, "1.2.3.4"));
        var text = Files.writeString(dir.resolve("text"), "1.2.3.4 alice\n".repeat(10));
        assertThrows(IOException.class, () -> RelayLookup.find(text, "1.2.3.4"));
        var empty = Files.createFile(dir.resolve("empty"));
        assertThrows(IOException.class, () -> RelayLookup.find(empty, "1.2.3.4"));
        assertThrows(IOException.class, () -> RelayLookup.find(dir, "1.2.3.4"));
        var e = assertThrows(IOException.class, () -> RelayLookup.find(dir.resolve("missing"), "1.2.3.4"));
        assertTrue(e.getMessage().startsWith("no relay database at "), e.getMessage());
    }
}
