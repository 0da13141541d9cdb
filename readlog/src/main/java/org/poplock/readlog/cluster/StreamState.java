package org.poplock.readlog.cluster;

import java.nio.charset.StandardCharsets;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * What XINFO STREAM says of how far back the stream reaches: its last id, and the largest id
 * trimmed away (Redis 7's max-deleted-entry-id). A position older than a trimmed id, or newer
 * than the last id (a Redis that came back empty), cannot be followed on without a gap.
 */
record StreamState(String lastGenerated, String maxDeleted, long added, long length, boolean positionKept) {

    /**
     * The stream's state, and whether the entry at {@code position} is still in it: trimming takes
     * the oldest first, so while it is there nothing after it is gone (Redis 7.0's trimming does
     * not move max-deleted-entry-id, so that alone cannot tell).
     */
    static StreamState of(Jedis jedis, String key, String position) {
        Object reply;
        try {
            reply = jedis.sendCommand(Protocol.Command.XINFO, "STREAM", key);
        } catch (JedisDataException e) {
            if (String.valueOf(e.getMessage()).contains("no such key")) {
                return new StreamState("0-0", "0-0", 0, 0, false);
            }
            throw e;
        }
        String last = "0-0";
        String deleted = "0-0";
        long added = 0;
        long length = 0;
        if (reply instanceof List<?> fields) {
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                var name = text(fields.get(i));
                if ("last-generated-id".equals(name)) {
                    last = text(fields.get(i + 1));
                } else if ("max-deleted-entry-id".equals(name)) {
                    deleted = text(fields.get(i + 1));
                } else if ("entries-added".equals(name) && fields.get(i + 1) instanceof Long n) {
                    added = n;
                } else if ("length".equals(name) && fields.get(i + 1) instanceof Long n) {
                    length = n;
                }
            }
        }
        boolean kept = false;
        if (position != null && !position.equals("0-0")) {
            var id = new StreamEntryID(position);
            kept = !jedis.xrange(key, id, id, 1).isEmpty();
        }
        return new StreamState(last, deleted, added, length, kept);
    }

    /**
     * Whether entries after {@code position} may be gone: the stream started over below it, or the
     * entry at it was trimmed (from the start: whether anything was ever trimmed).
     */
    boolean lostSince(String position) {
        if (compare(lastGenerated, position) < 0) {
            return true;
        }
        if (position.equals("0-0")) {
            return added > length;
        }
        // Gone, with entries after it: some of those may be gone too.
        return !positionKept && compare(lastGenerated, position) > 0;
    }

    /** Whether the stream's ids are below {@code position}: a Redis that lost its data. */
    boolean startedOverBelow(String position) {
        return compare(lastGenerated, position) < 0;
    }

    static int compare(String a, String b) {
        var x = parse(a);
        var y = parse(b);
        return x[0] != y[0] ? Long.compareUnsigned(x[0], y[0]) : Long.compareUnsigned(x[1], y[1]);
    }

    private static long[] parse(String id) {
        int dash = id.indexOf('-');
        try {
            return dash < 0 ? new long[] {Long.parseUnsignedLong(id), 0}
                    : new long[] {Long.parseUnsignedLong(id.substring(0, dash)), Long.parseUnsignedLong(id.substring(dash + 1))};
        } catch (NumberFormatException e) {
            return new long[] {0, 0};
        }
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.US_ASCII) : String.valueOf(o);
    }
}
