package org.poplock.readlog.source;

import java.util.ArrayList;
import java.util.List;

/**
 * How far a log file has been read, and which file it was: its inode, a hash of its first line
 * (as fail2ban keeps, because an inode is reused once a rotated file is deleted) and a hash of the
 * bytes just before the offset (so a file truncated and written past our offset again, as
 * copytruncate does, is told from one that only grew). A hash of 0 means "not known": no complete
 * first line yet, or nothing read.
 */
public record LogPosition(long inode, long firstLineHash, long offset, long tailHash) {

    private static final int LONGS = 4;

    /** The positions of one log (the file at its path, then rotated files still open) as the state stores them. */
    public static long[] encode(List<LogPosition> positions) {
        var out = new long[positions.size() * LONGS];
        for (int i = 0; i < positions.size(); i++) {
            var p = positions.get(i);
            out[i * LONGS] = p.inode;
            out[i * LONGS + 1] = p.firstLineHash;
            out[i * LONGS + 2] = p.offset;
            out[i * LONGS + 3] = p.tailHash;
        }
        return out;
    }

    /** Reads {@link #encode}'s form back; the three-number form of earlier versions is one position with no tail hash. */
    public static List<LogPosition> decode(long[] stored) {
        var out = new ArrayList<LogPosition>();
        if (stored == null) {
            return out;
        }
        if (stored.length == 3) {
            out.add(new LogPosition(stored[0], stored[1], stored[2], 0));
            return out;
        }
        for (int i = 0; i + LONGS <= stored.length; i += LONGS) {
            out.add(new LogPosition(stored[i], stored[i + 1], stored[i + 2], stored[i + 3]));
        }
        return out;
    }
}
