package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublishedTableTest {

    @TempDir
    Path dir;

    private final Instant t = Instant.now();

    private TreeMap<String, byte[]> table(int n) {
        var live = new TreeMap<String, byte[]>();
        for (int i = 0; i < n; i++) {
            put(live, "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255), "u" + i);
        }
        return live;
    }

    private void put(TreeMap<String, byte[]> live, String ip, String user) {
        live.put(ip, RelayEntry.of(ip, user, t, Duration.ofHours(1)).encodeValue());
    }

    private Object inode(Path file) throws IOException {
        return Files.readAttributes(file, "unix:ino").get("ino");
    }

    private List<String> deltas() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("relay.db.delta-")).sorted().toList();
        }
    }

    @Test
    void aSmallTableIsWrittenWholeWithNoDelta() throws IOException {
        var db = dir.resolve("relay.db");
        var published = new PublishedTable(db, "rw-r--r--", null, UnaryOperator.identity());
        var live = table(100);
        published.publish(live, new HashSet<>(live.keySet()));
        var before = inode(db);
        put(live, "192.0.2.7", "new");
        published.publish(live, Set.of("192.0.2.7"));
        assertNotEquals(before, inode(db), "a small table is rewritten whole");
        assertEquals(List.of(), deltas());
        assertEquals("new", RelayLookup.find(db, "192.0.2.7").orElseThrow().user());
    }

    @Test
    void aLargeTablePublishesOnlyItsChangesUntilTheyAreAnEighthOfIt() throws IOException {
        var db = dir.resolve("relay.db");
        var published = new PublishedTable(db, "rw-r--r--", null, UnaryOperator.identity());
        var live = table(PublishedTable.DELTA_FROM + 100);
        published.publish(live, new HashSet<>(live.keySet()));
        var base = inode(db);
        assertEquals(1, deltas().size(), "an empty delta is in place with the base");

        put(live, "192.0.2.7", "added");
        put(live, "10.0.0.5", "changed");
        live.remove("10.0.0.9");
        published.publish(live, Set.of("192.0.2.7", "10.0.0.5", "10.0.0.9"));
        assertEquals(base, inode(db), "the base is not rewritten for three changes");
        assertTrue(Files.size(dir.resolve(deltas().get(0))) * 20 < Files.size(db), "the delta holds the changes only");

        // What relaylock reads and what showallowed reads both see the changes, and nothing else changed.
        assertEquals("added", RelayLookup.find(db, "192.0.2.7").orElseThrow().user());
        assertEquals("changed", RelayLookup.find(db, "10.0.0.5").orElseThrow().user());
        assertTrue(RelayLookup.find(db, "10.0.0.9").isEmpty(), "a withdrawn entry is gone");
        assertEquals("u6", RelayLookup.find(db, "10.0.0.6").orElseThrow().user());
        var read = RelayDatabase.openTable(db);
        assertTrue(read.find("10.0.0.9").isEmpty());
        assertEquals("changed", read.find("10.0.0.5").orElseThrow().user());
        assertEquals(List.copyOf(live.keySet()), read.entries().stream().map(RelayEntry::ip).toList());
        assertEquals("changed", read.entries().stream().filter(e -> e.ip().equals("10.0.0.5")).findFirst().orElseThrow().user());

        // Enough changes, and the next publish writes a new base; the delta before it stays for slow readers, older ones go.
        var firstDelta = deltas().get(0);
        var changed = new HashSet<String>();
        String last = null;
        for (int i = 0; i < 3; i++) {
            int half = Math.max(4096, live.size() / 8) / 2 + 1;
            for (int n = i * half; n < (i + 1) * half; n++) {
                var ip = "172." + (16 + (n >> 16)) + "." + (n >> 8 & 255) + "." + (n & 255);
                put(live, ip, "round" + i);
                changed.add(ip);
                last = ip;
            }
            published.publish(live, changed);
            changed.clear();
        }
        assertNotEquals(base, inode(db), "a new base once the delta reached an eighth");
        assertFalse(deltas().contains(firstDelta) && deltas().size() > 2, "old deltas are removed: " + deltas());
        assertTrue(deltas().size() <= 2, deltas().toString());
        assertEquals("round2", RelayLookup.find(db, last).orElseThrow().user());
        assertEquals(List.copyOf(live.keySet()), RelayDatabase.openTable(db).entries().stream().map(RelayEntry::ip).toList());
    }

    @Test
    void aBaseWhoseDeltaIsGoneIsAnErrorNeverAWithdrawnGrant() throws IOException {
        var db = dir.resolve("relay.db");
        var published = new PublishedTable(db, "rw-r--r--", null, UnaryOperator.identity());
        var live = table(PublishedTable.DELTA_FROM + 10);
        published.publish(live, new HashSet<>(live.keySet()));
        live.remove("10.0.0.9");
        published.publish(live, Set.of("10.0.0.9"));
        Files.delete(dir.resolve(deltas().get(0)));
        var e = assertThrows(IOException.class, () -> RelayLookup.find(db, "10.0.0.9"));
        assertTrue(e.getMessage().contains("relay.db.delta-"), "the missing file is named: " + e.getMessage());
        assertThrows(IOException.class, () -> RelayDatabase.openTable(db));
    }
}
