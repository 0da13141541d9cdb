package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/**
 * relaylock's reader over damaged database bytes: whatever a published table and its delta hold,
 * a lookup's only failure is the documented IOException (relaylock then does not relay), and an
 * entry comes only from a value stored under the address asked. What the files hold is read
 * independently, entry after entry (MapDB's iterator); where a table's keys are in order, as readlog
 * writes them, the answer is exact: the delta's value (none when it withdraws the address), else the
 * table's. showallowed's reader (MapDB) over the same files fails only with IOException too.
 *
 * <p>Input: a byte choosing the address asked (its high bit: each table zero-filled to whole 64 KiB
 * pages, as readlog writes them, so that the inputs can be short), two bytes giving the length of
 * the delta, the delta (generation 1), and the table.
 */
class RelayLookupFuzzTest {

    private static final List<String> ASKED = List.of("192.0.2.7", "192.0.2.1", "2001:db8::1", "198.51.100.20", "::1", "10.0.0.1",
            "203.0.113.9", "2001:db8::7");
    private static final int PAGE = 64 * 1024;

    @TempDir
    Path dir;

    /** A table as its entries come, in file order; null when it cannot be read so. */
    private record Stored(List<String> keys, List<byte[]> values) {

        static Stored of(Path file) {
            var stored = new Stored(new ArrayList<>(), new ArrayList<>());
            try {
                RelayDatabase.forEachStored(file, (key, value) -> {
                    stored.keys.add(key);
                    stored.values.add(value);
                });
            } catch (IOException e) {
                return null;
            }
            return stored;
        }

        boolean sorted() {
            for (int i = 1; i < keys.size(); i++) {
                if (keys.get(i - 1).compareTo(keys.get(i)) >= 0) {
                    return false;
                }
            }
            return true;
        }

        List<byte[]> valuesOf(String key) {
            var out = new ArrayList<byte[]>();
            for (int i = 0; i < keys.size(); i++) {
                if (keys.get(i).equals(key)) {
                    out.add(values.get(i));
                }
            }
            return out;
        }
    }

    @FuzzTest(maxDuration = "10m")
    void lookup(byte[] input) throws IOException {
        if (input.length < 3) {
            return;
        }
        var ip = ASKED.get((input[0] & 0x7f) % ASKED.size());
        boolean pages = (input[0] & 0x80) != 0;
        int deltaLength = Math.min(((input[1] & 0xff) << 8) | (input[2] & 0xff), input.length - 3);
        var db = dir.resolve("relay.db");
        var delta = DatabaseLayout.delta(db, 1);
        Files.write(db, table(Arrays.copyOfRange(input, 3 + deltaLength, input.length), pages));
        if (deltaLength > 0) {
            Files.write(delta, table(Arrays.copyOfRange(input, 3, 3 + deltaLength), pages));
        } else {
            Files.deleteIfExists(delta);
        }
        try {
            RelayDatabase.openTable(db).find(ip);
        } catch (IOException e) {
            // documented
        }
        Optional<RelayEntry> found;
        try {
            found = RelayLookup.find(db, ip);
        } catch (IOException e) {
            return;
        }
        found.ifPresent(entry -> assertEquals(ip, entry.ip(), "an entry for another address than the one asked"));
        var base = Stored.of(db);
        var changes = deltaLength > 0 ? Stored.of(delta) : new Stored(List.of(), List.of());
        if (base == null || changes == null) {
            return;
        }
        var candidates = new ArrayList<byte[]>(changes.valuesOf(ip));
        candidates.addAll(base.valuesOf(ip));
        found.ifPresent(entry -> assertTrue(candidates.stream().anyMatch(v -> v.length > 0 && entry.equals(decodeOrNull(ip, v))),
                "an entry no table holds for " + ip));
        if (base.sorted() && changes.sorted() && base.keys().contains(ReservedKeys.DELTA) == deltaLength > 0) {
            var expected = changes.valuesOf(ip).isEmpty() ? base.valuesOf(ip) : changes.valuesOf(ip);
            var value = expected.isEmpty() || expected.get(0).length == 0 ? null : expected.get(0);
            assertEquals(value == null ? Optional.empty() : Optional.of(RelayEntry.decode(ip, value)), found, "the lookup of " + ip);
        }
    }

    private static RelayEntry decodeOrNull(String ip, byte[] value) {
        try {
            return RelayEntry.decode(ip, value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] table(byte[] bytes, boolean pages) {
        return pages ? Arrays.copyOf(bytes, Math.max(PAGE, (bytes.length + PAGE - 1) / PAGE * PAGE)) : bytes;
    }
}
