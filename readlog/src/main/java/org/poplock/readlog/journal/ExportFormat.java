package org.poplock.readlog.journal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Set;

/**
 * Reads {@code journalctl -o export}: entries of {@code NAME=value} lines, a field holding a
 * newline or other binary data as {@code NAME}, a little-endian 64-bit length, the bytes and a
 * newline; an empty line ends an entry. Binary-safe where {@code -o short} is not: a MESSAGE with
 * a newline in it stays one field. Only the {@link #FIELDS} are kept, each at most
 * {@link #MAX_VALUE} bytes (longer values are skipped over and the entry marked); nothing a sender
 * writes can make this hold more than one entry's bounded fields.
 */
final class ExportFormat {

    /** The fields readlog uses: the message and its identifier, the trusted sender fields, the cursor and time. */
    static final Set<String> FIELDS = Set.of("__CURSOR", "__REALTIME_TIMESTAMP", "MESSAGE", "SYSLOG_IDENTIFIER", "SYSLOG_PID",
            "_PID", "_UID", "_COMM", "_EXE", "_SYSTEMD_UNIT", "_HOSTNAME");
    /** Longer than any login line a definition accepts ({@code LoginParser.MAX_LINE}); longer values are no login. */
    static final int MAX_VALUE = 16_384;
    /** Field names are short upper-case words; a longer "name" is damage. */
    private static final int MAX_NAME = 256;

    /** A field too long to keep: the entry still counts (its cursor moves on), its value does not. */
    static final String TOO_LONG = "\0too long";

    private final InputStream in;
    private final byte[] line = new byte[MAX_NAME + 1 + MAX_VALUE];

    ExportFormat(InputStream in) {
        this.in = in;
    }

    /** The next entry, or null at the end of the stream. */
    JournalEntry next() throws IOException {
        var fields = new HashMap<String, String>();
        boolean any = false;
        while (true) {
            int n = readLine();
            if (n < 0) {
                return null; // an entry cut off by the end is not handed on: journalctl is restarted after the last whole one
            }
            if (n == 0) {
                if (any) {
                    return entry(fields);
                }
                continue;
            }
            any = true;
            int eq = indexOf(line, Math.min(n, line.length), (byte) '=');
            if (eq >= 0) {
                var name = new String(line, 0, eq, StandardCharsets.US_ASCII);
                if (FIELDS.contains(name)) {
                    fields.put(name, n - eq - 1 > MAX_VALUE ? TOO_LONG : new String(line, eq + 1, n - eq - 1, StandardCharsets.UTF_8));
                }
            } else {
                var name = new String(line, 0, Math.min(n, MAX_NAME), StandardCharsets.US_ASCII);
                long size = readLength();
                boolean keep = FIELDS.contains(name) && size <= MAX_VALUE;
                var value = keep ? readBytes((int) size) : skip(size);
                if (in.read() != '\n') {
                    throw new IOException("journal export: a binary field of " + name + " does not end in a newline");
                }
                if (FIELDS.contains(name)) {
                    fields.put(name, keep ? value : TOO_LONG);
                }
            }
        }
    }

    /** The last microsecond of year 9999: no journal entry is later, and no later time is one a grant can be computed from. */
    static final long MAX_REALTIME = 253_402_300_799_999_999L;

    private static JournalEntry entry(HashMap<String, String> fields) throws IOException {
        var cursor = fields.remove("__CURSOR");
        var realtime = fields.remove("__REALTIME_TIMESTAMP");
        if (cursor == null || realtime == null) {
            throw new IOException("journal export: an entry without __CURSOR or __REALTIME_TIMESTAMP");
        }
        return new JournalEntry(cursor, realtime(realtime), fields);
    }

    /** The entry's time from its microseconds since the epoch; null when that is no number up to {@link #MAX_REALTIME}. */
    static Instant realtime(String value) {
        if (!value.matches("[0-9]{1,18}")) {
            return null;
        }
        long micros = Long.parseLong(value);
        return micros > MAX_REALTIME ? null : Instant.ofEpochSecond(micros / 1_000_000, micros % 1_000_000 * 1000);
    }

    /**
     * Reads a line into {@link #line}; returns its length without the newline (beyond the buffer:
     * the bytes past it are dropped, the length still counted), or -1 at the end of the stream.
     */
    private int readLine() throws IOException {
        int n = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return -1;
            }
            if (b == '\n') {
                return n;
            }
            if (n < line.length) {
                line[n] = (byte) b;
            }
            if (n < Integer.MAX_VALUE - 1) {
                n++;
            }
        }
    }

    private long readLength() throws IOException {
        long size = 0;
        for (int i = 0; i < 8; i++) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("journal export: cut off in a field's length");
            }
            size |= (long) b << (8 * i);
        }
        if (size < 0) {
            throw new IOException("journal export: a field of negative length");
        }
        return size;
    }

    private String readBytes(int size) throws IOException {
        var bytes = in.readNBytes(size);
        if (bytes.length < size) {
            throw new EOFException("journal export: cut off in a field");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private String skip(long size) throws IOException {
        long left = size;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("journal export: cut off in a field");
                }
                skipped = 1;
            }
            left -= skipped;
        }
        return TOO_LONG;
    }

    private static int indexOf(byte[] bytes, int length, byte b) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
