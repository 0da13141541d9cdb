package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * relaylock's reader over damaged database bytes: whatever a published table and its delta hold,
 * a lookup is an entry for the address asked or nothing, and the only failure is the documented
 * IOException (relaylock then does not relay). Where MapDB's own reader (showallowed's) reads the
 * same files without error, both give the same answer.
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
        java.util.Optional<RelayEntry> found;
        try {
            found = RelayLookup.find(db, ip);
        } catch (IOException e) {
            return;
        }
        found.ifPresent(entry -> assertEquals(ip, entry.ip(), "an entry for another address than the one asked"));
        java.util.Optional<RelayEntry> mapdb;
        try {
            mapdb = RelayDatabase.openTable(db).find(ip);
        } catch (IOException e) {
            return;
        }
        assertEquals(mapdb, found, "relaylock's reader and MapDB's disagree on " + ip);
    }

    private static byte[] table(byte[] bytes, boolean pages) {
        return pages ? Arrays.copyOf(bytes, Math.max(PAGE, (bytes.length + PAGE - 1) / PAGE * PAGE)) : bytes;
    }
}
