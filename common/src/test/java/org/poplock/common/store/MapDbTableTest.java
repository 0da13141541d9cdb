package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * showallowed's and readlog's reader (MapDB) over a table whose counts are damaged (the header's,
 * a node's key and value lengths, a key's chars): refused in one line naming the count, from the
 * counts alone, never by asking MapDB for arrays until the heap runs out; tables as readlog writes
 * them, small and large, read whole.
 */
class MapDbTableTest {

    private static final int ENTRY_COUNT = 16;
    private static final int PAGE_COUNT = 24;
    private static final int PAGE_SIZE = 32;

    @TempDir
    Path dir;

    private Path published(int n) throws IOException {
        var t = Instant.parse("2026-01-01T00:00:00Z");
        var sorted = new TreeMap<String, byte[]>();
        for (int i = 0; i < n; i++) {
            var ip = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
            sorted.put(ip, RelayEntry.of(ip, "user" + i, t, Duration.ofHours(1)).encodeValue());
        }
        var db = dir.resolve("relay.db");
        RelayDatabase.publishEncoded(db, sorted);
        return db;
    }

    /** The table published with {@code n} entries, its bytes then changed by {@code damage}. */
    private Path damaged(int n, Consumer<ByteBuffer> damage) throws IOException {
        var bytes = ByteBuffer.wrap(Files.readAllBytes(published(n)));
        damage.accept(bytes);
        var file = dir.resolve("damaged.db");
        Files.write(file, bytes.array());
        return file;
    }

    private static void refusedNaming(String named, Path file) {
        var e = assertThrows(IOException.class, () -> RelayDatabase.openTable(file).entries());
        assertEquals(file + " is damaged: " + named, e.getMessage());
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            assertFalse(cause instanceof OutOfMemoryError, "refused only once the heap ran out: " + cause);
        }
    }

    @Test
    void aPageSizeWhoseMultiplesWrapToTheFirstPageIsRefusedByItsSize() throws IOException {
        // MapDB reads page k's node table at k times the page size cut to 32 bits: the header's
        // bytes 4 to 11 as offsets, 8 and 9 (unused) read as one empty key, added to a list once for
        // each of 2^26 pages until the heap is full.
        refusedNaming("page size 68719476736", damaged(3, bytes -> bytes.putLong(PAGE_SIZE, 1L << 36).putLong(PAGE_COUNT, 1L << 26)
                .put(8, (byte) 0x81).put(9, (byte) 0x80)));
    }

    @Test
    void aPageCountBeyondTheFileIsRefusedByItsCount() throws IOException {
        var file = damaged(3, bytes -> bytes.putLong(PAGE_COUNT, 1L << 26));
        refusedNaming("page count 67108865 of 65536 bytes, more than its " + Files.size(file) + " bytes hold", file);
    }

    @Test
    void anEntryCountBeyondItsPagesIsRefusedByItsCount() throws IOException {
        // MapDB's size, which sizes a list of the entries at once.
        refusedNaming("entry count 2147483647, where its pages hold 3", damaged(3, bytes -> bytes.putLong(ENTRY_COUNT, Integer.MAX_VALUE)));
    }

    /** Where page 0's first node keeps its key block, its value block, and where the value block ends (the node table follows the header). */
    private static final int KEYS_AT = 68;
    private static final int VALUES_AT = 72;
    private static final int VALUES_END_AT = 76;

    @Test
    void aKeyLengthBeyondItsBlockIsRefusedByItsLength() throws IOException {
        // The first key's length (one byte, 8) made the first byte of two: with the '1' that
        // follows, 16,305 chars, which MapDB would allocate and then read past its block.
        var bytes = ByteBuffer.wrap(Files.readAllBytes(published(3)));
        int keys = bytes.getInt(KEYS_AT);
        int left = bytes.getInt(VALUES_AT) - (keys + 3);
        refusedNaming("key length 16305 in node 0 of page 0, more than its " + left + " bytes left hold",
                damaged(3, b -> b.put(keys + 1, (byte) 0x7f)));
    }

    @Test
    void aKeyCharLongerThanANumberIsRefused() throws IOException {
        // The first key's first five chars with no last byte: one number of more than 5 bytes.
        refusedNaming("a number longer than 5 bytes in node 0 of page 0", damaged(3, b -> {
            int keys = b.getInt(KEYS_AT);
            for (int i = 2; i < 7; i++) {
                b.put(keys + i, (byte) 0x01);
            }
        }));
    }

    @Test
    void aValueLengthBeyondItsBlockIsRefusedByItsLength() throws IOException {
        var bytes = ByteBuffer.wrap(Files.readAllBytes(published(3)));
        int values = bytes.getInt(VALUES_AT);
        int left = bytes.getInt(VALUES_END_AT) - (values + 2);
        refusedNaming("value length 127 in node 0 of page 0, more than its " + left + " bytes left hold",
                damaged(3, b -> b.put(values + 1, (byte) 0xff)));
    }

    @Test
    void tablesAsReadlogWritesThemAreReadWhole() throws IOException {
        for (int n : new int[] {0, 1, 3000, 120_000}) {
            var db = published(n);
            var read = new AtomicInteger();
            RelayDatabase.forEachStored(db, (key, value) -> read.incrementAndGet());
            assertEquals(n, read.get(), n + " entries in " + Files.size(db) + " bytes");
            assertEquals(n, RelayDatabase.openTable(db).entries().size());
        }
        assertTrue(Files.size(dir.resolve("relay.db")) > 4 << 20, "the last table is read through its descriptor, not whole");
    }
}
