package org.poplock.common.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.mapdb.volume.Volume;

/**
 * Every count in a MapDB {@code SortedTableMap} file (STRING keys, BYTE_ARRAY values) checked
 * against the bytes that would have to hold it, before MapDB reads the file. MapDB trusts them
 * all: the page count sizes its list of first keys (filled page by page), a node's key count and
 * value count size arrays, a key's length and a value's length size one array each, the entry
 * count sizes callers' lists. A damaged count would have it allocate, even fill, arrays up to the
 * heap's limit before it fails, seconds later; here the table is refused in one line, reading it
 * once a page at a time, never holding more than a page.
 *
 * <p>The layout is the one {@link RelayLookup} describes. Within a page everything is bounded by
 * the page: the node table by the page's end, each block by its neighbours' offsets, each key's
 * count and length and each value's by the bytes left in its block (a key or a value takes at
 * least one byte, its length; a char at least one, MapDB's packed int).
 */
final class SortedTableCheck {

    private static final int HEADER = 64;
    /** MapDB's own default; readlog writes 64 KiB pages. */
    private static final long MAX_PAGE = 1 << 20;

    private SortedTableCheck() {
    }

    /**
     * Returns when every count in {@code table} (the volume MapDB is about to read, so that both
     * read the same bytes) is one the file can hold; else IOException naming the first that is not.
     */
    static void check(Path file, Volume table) throws IOException {
        long length = table.length();
        if (length < HEADER) {
            throw damaged(file, "shorter than its " + HEADER + "-byte header (" + length + " bytes)");
        }
        var header = read(table, 0, HEADER);
        long entries = header.getLong(16);
        long lastPage = header.getLong(24);
        long pageSize = header.getLong(32);
        if (pageSize <= 0 || pageSize > MAX_PAGE || Long.bitCount(pageSize) != 1) {
            throw damaged(file, "page size " + pageSize);
        }
        if (lastPage < -1 || lastPage >= length / pageSize) {
            throw damaged(file, "page count " + (lastPage + 1) + " of " + pageSize + " bytes, more than its " + length + " bytes hold");
        }
        long counted = 0;
        for (long page = 0; page <= lastPage; page++) {
            counted += page(file, page, read(table, page * pageSize, (int) pageSize));
        }
        if (entries != counted) {
            throw damaged(file, "entry count " + entries + ", where its pages hold " + counted);
        }
    }

    /** The number of entries in one page, every count in it checked. */
    private static long page(Path file, long number, ByteBuffer page) throws IOException {
        int table = number == 0 ? HEADER : 0;
        int end = page.limit();
        if (table + 4 > end) {
            throw damaged(file, "page size " + end + ", smaller than its header");
        }
        int nodes = page.getInt(table);
        // A count, then two offsets a node and the end of the last value block.
        if (nodes <= 0 || table + 4 + 4 * (2L * nodes + 1) > end) {
            throw damaged(file, "node count " + nodes + " in page " + number + ", more than its " + end + " bytes hold");
        }
        int blocksFrom = table + 4 + 4 * (2 * nodes + 1);
        long entries = 0;
        for (int node = 0; node < nodes; node++) {
            var keys = block(file, page, number, node, table + 4 + 4 * node, blocksFrom, end);
            var values = block(file, page, number, node, table + 4 + 4 * (nodes + node), blocksFrom, end);
            int count = keys.count("key count");
            if (count == 0) {
                throw keys.damaged("key count 0");
            }
            for (int i = 0; i < count; i++) {
                keys.skipPacked(keys.count("key length"));
            }
            int valueCount = values.count("value count");
            if (valueCount != count) {
                throw values.damaged("value count " + valueCount, " for " + count + " keys");
            }
            for (int i = 0; i < valueCount; i++) {
                values.skip(values.count("value length"));
            }
            entries += count;
        }
        return entries;
    }

    /** The block whose offset is at {@code at}, ending where the next one starts, within the page after its node table. */
    private static Block block(Path file, ByteBuffer page, long number, int node, int at, int from, int end) throws IOException {
        int start = page.getInt(at);
        int stop = page.getInt(at + 4);
        if (start < from || stop < start || stop > end) {
            throw damaged(file, "block from " + start + " to " + stop + " in page " + number + " of " + end + " bytes");
        }
        return new Block(file, page.array(), start, stop, number, node);
    }

    /**
     * A key or value block read from {@code at} to {@code end} of its page's bytes: the check reads
     * every key's chars (one packed number each) of every table showallowed and readlog open, so it
     * walks the array itself and words where it is only when a number is wrong.
     */
    private static final class Block {
        private final Path file;
        private final byte[] bytes;
        private final int end;
        private final long page;
        private final int node;
        private int at;

        Block(Path file, byte[] bytes, int at, int end, long page, int node) {
            this.file = file;
            this.bytes = bytes;
            this.at = at;
            this.end = end;
            this.page = page;
            this.node = node;
        }

        /** A packed count or length, at most the bytes left in the block (each counted thing takes one at least). */
        int count(String what) throws IOException {
            int value = packed();
            if (value > end - at) {
                throw damaged(what + " " + value, ", more than its " + (end - at) + " bytes left hold");
            }
            return value;
        }

        /** Past {@code n} packed numbers (a key's chars), each within the block and at most 5 bytes. */
        void skipPacked(int n) throws IOException {
            byte[] b = bytes;
            int p = at;
            for (int i = 0; i < n; i++) {
                if (p < end && b[p] < 0) {
                    p++; // one byte, its high bit set: a char below 128, as addresses are
                } else {
                    at = p;
                    packed();
                    p = at;
                }
            }
            at = p;
        }

        /** Past {@code n} bytes, which {@link #count} has bounded by the block. */
        void skip(int n) {
            at += n;
        }

        /** MapDB's packed int: 7 bits a byte, most significant first, the last byte marked by its high bit. */
        int packed() throws IOException {
            long value = 0;
            for (int i = 0; i < 5; i++) {
                if (at >= end) {
                    throw damaged("a number past the end of its block");
                }
                int b = bytes[at++];
                value = (value << 7) | (b & 0x7f);
                if ((b & 0x80) != 0) {
                    if (value > Integer.MAX_VALUE) {
                        throw damaged("number " + value);
                    }
                    return (int) value;
                }
            }
            throw damaged("a number longer than 5 bytes");
        }

        IOException damaged(String what) {
            return damaged(what, "");
        }

        /** {@code what}, where in the file it is, then {@code more}. */
        IOException damaged(String what, String more) {
            return SortedTableCheck.damaged(file, what + " in node " + node + " of page " + page + more);
        }
    }

    private static ByteBuffer read(Volume table, long position, int size) {
        var bytes = new byte[size];
        table.getData(position, bytes, 0, size);
        return ByteBuffer.wrap(bytes);
    }

    private static IOException damaged(Path file, String what) {
        return new IOException(file + " is damaged: " + what);
    }
}
