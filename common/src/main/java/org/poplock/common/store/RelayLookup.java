package org.poplock.common.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * relaylock's lookup: one key in the published relay database, read without loading MapDB, and
 * reading only the few blocks the search touches: the cost of a connection does not grow with the
 * number of grants.
 *
 * <p>Opening MapDB's {@code SortedTableMap} costs a JVM 50-70 ms of class loading (Kotlin, every
 * serializer, lz4), more than all the rest of relaylock, for a lookup that needs none of it. The
 * file is the one MapDB wrote (see {@link RelayDatabase#publish}); this reads its documented layout
 * for the two serializers we write with (STRING keys, BYTE_ARRAY values), and every offset is
 * checked, so a damaged file is an IOException, never a wrong answer or a crash.
 * {@code RelayLookupTest} checks it against MapDB's own reader.
 *
 * <p>Layout: a 64-byte header (entry count at 16, last page index at 24, page size at 32, longs,
 * big-endian); pages of that size, the first after the header. A page: node count, then the offsets
 * (from the page start) of each node's key block and of each node's value block. A key block:
 * count, then per key its length and its chars; a value block: count, then per value its length
 * and its bytes. Numbers are MapDB's packed ints.
 */
public final class RelayLookup implements PublishedPair.Table {

    private static final int HEADER = 64;
    private static final long MAX_PAGE = 1 << 20;

    /** Opens one file of a pair; a class rather than a lambda, which relaylock would bootstrap at every start. */
    private static final class Reader implements PublishedPair.Format<RelayLookup> {
        @Override
        public RelayLookup open(Path file) throws IOException {
            return RelayLookup.open(file);
        }
    }

    private final Path path;
    private final FileBlocks file;

    private RelayLookup(Path path, FileBlocks file) {
        this.path = path;
        this.file = file;
    }

    /**
     * The stored entry for a canonical address, live or not, from the database at {@code db}.
     * Reads only the blocks the search touches (a few per page probed), whatever the file's size:
     * the descriptor stays on the file opened, so one replaced meanwhile is read whole as it was,
     * and one truncated under us reads short, which is damage, never a wrong answer.
     */
    public static Optional<RelayEntry> find(Path db, String canonicalIp) throws IOException {
        try (var pair = PublishedPair.open(db, new Reader())) {
            var value = pair.value(canonicalIp);
            return value == null ? Optional.empty() : Optional.of(RelayEntry.decode(canonicalIp, value));
        } catch (IllegalArgumentException e) {
            throw new IOException(db + " is not a relay database: " + e.getMessage(), e);
        }
    }

    private static RelayLookup open(Path file) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw Problems.unreadable(file, e);
        }
        try {
            return new RelayLookup(file, new FileBlocks(channel, channel.size()));
        } catch (Damaged e) {
            channel.close();
            throw new IOException(file + " is not a relay database: " + e.getMessage(), e);
        } catch (IOException e) {
            channel.close();
            throw Problems.unreadable(file, e);
        }
    }

    /** The value stored for {@code key} in this file, or null. */
    @Override
    public byte[] get(String key) throws IOException {
        try {
            return value(key);
        } catch (Damaged | IllegalArgumentException e) {
            throw new IOException(path + " is not a relay database: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }

    /** Raised for any offset or count outside the file: the file is damaged or not ours. */
    static final class Damaged extends Exception {
        Damaged(String what) {
            super(what, null, false, false);
        }
    }

    byte[] value(String key) throws Damaged {
        if (file.length < HEADER) {
            throw new Damaged("shorter than its header");
        }
        long size = getLong(16);
        long lastPage = getLong(24);
        long pageSize = getLong(32);
        if (pageSize <= 0 || pageSize > MAX_PAGE || Long.bitCount(pageSize) != 1) {
            throw new Damaged("page size " + pageSize);
        }
        if (size == 0) {
            return null;
        }
        if (size < 0 || lastPage < 0 || lastPage >= file.length / pageSize) {
            throw new Damaged("page count " + (lastPage + 1) + " of " + pageSize + " bytes in " + file.length);
        }
        // Keys are sorted across pages, nodes and within a node: two binary searches on first
        // keys, then one node of at most a few dozen keys: a linear scan would grow with the table,
        // and every SMTP connection pays it. A damaged order can only hide an entry (no RELAYCLIENT),
        // never find a wrong one: the key found is compared in full.
        int lo = 0;
        int hi = (int) lastPage;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            var page = new Page(mid, pageSize);
            if (compareFirst(key, page.keys(0), page.end) >= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        var page = new Page(lo, pageSize);
        int first = 0;
        int last = page.nodes - 1;
        while (first < last) {
            int mid = (first + last + 1) >>> 1;
            if (compareFirst(key, page.keys(mid), page.end) >= 0) {
                first = mid;
            } else {
                last = mid - 1;
            }
        }
        int index = indexOf(key, page.keys(first), page.end);
        return index < 0 ? null : valueAt(page.values(first), page.end, index);
    }

    /** One page: its node table, and the key and value blocks the table points to. */
    private final class Page {
        final int base;
        final int end;
        final int table;
        final int nodes;

        Page(int number, long pageSize) throws Damaged {
            base = (int) (number * pageSize);
            end = (int) (base + pageSize);
            table = base + (number == 0 ? HEADER : 0);
            nodes = getInt(table, end);
            if (nodes <= 0 || table + 4 + 8L * nodes > end) {
                throw new Damaged("node count " + nodes + " in page " + number);
            }
        }

        int keys(int node) throws Damaged {
            return base + getInt(table + 4 + 4 * node, end);
        }

        int values(int node) throws Damaged {
            return base + getInt(table + 4 + 4 * (nodes + node), end);
        }
    }

    /** {@code key} compared, as {@link String#compareTo} does, with the first key of the key block at {@code pos}. */
    private int compareFirst(String key, int pos, int end) throws Damaged {
        var in = new Packed(pos, end);
        if (in.next() == 0) {
            throw new Damaged("empty node");
        }
        int length = in.next();
        for (int c = 0; c < Math.min(length, key.length()); c++) {
            int diff = key.charAt(c) - in.next();
            if (diff != 0) {
                return diff;
            }
        }
        return key.length() - length;
    }

    /** Position of {@code key} in the key block at {@code pos}, or -1. */
    private int indexOf(String key, int pos, int end) throws Damaged {
        var in = new Packed(pos, end);
        int count = in.next();
        for (int i = 0; i < count; i++) {
            int length = in.next();
            boolean same = length == key.length();
            for (int c = 0; c < length; c++) {
                int ch = in.next();
                same = same && ch == key.charAt(c);
            }
            if (same) {
                return i;
            }
        }
        return -1;
    }

    private byte[] valueAt(int pos, int end, int index) throws Damaged {
        var in = new Packed(pos, end);
        int count = in.next();
        if (index >= count) {
            throw new Damaged("value " + index + " of " + count);
        }
        for (int i = 0; ; i++) {
            int length = in.next();
            if (length > end - in.pos) {
                throw new Damaged("value length " + length);
            }
            if (i == index) {
                var out = new byte[length];
                for (int b = 0; b < length; b++) {
                    out[b] = (byte) file.get(in.pos + b);
                }
                return out;
            }
            in.pos += length;
        }
    }

    /** MapDB's packed int: 7 bits a byte, most significant first, the last byte marked by its high bit. */
    private final class Packed {
        int pos;
        final int end;

        Packed(int pos, int end) throws Damaged {
            if (pos < 0 || pos >= end) {
                throw new Damaged("block offset " + pos);
            }
            this.pos = pos;
            this.end = end;
        }

        int next() throws Damaged {
            int value = 0;
            for (int i = 0; i < 5; i++) {
                if (pos >= end) {
                    throw new Damaged("number past the end of its page");
                }
                int b = file.get(pos++);
                value = (value << 7) | (b & 0x7f);
                if ((b & 0x80) != 0) {
                    if (value < 0) {
                        throw new Damaged("negative count");
                    }
                    return value;
                }
            }
            throw new Damaged("number too long");
        }
    }

    private int getInt(int pos, int end) throws Damaged {
        if (pos < 0 || pos + 4 > end) {
            throw new Damaged("offset " + pos);
        }
        return ((file.get(pos) & 0xff) << 24) | ((file.get(pos + 1) & 0xff) << 16) | ((file.get(pos + 2) & 0xff) << 8) | (file.get(pos + 3) & 0xff);
    }

    private long getLong(int pos) throws Damaged {
        return ((long) getInt(pos, file.length) << 32) | (getInt(pos + 4, file.length) & 0xffffffffL);
    }
}
