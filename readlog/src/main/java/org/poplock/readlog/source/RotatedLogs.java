package org.poplock.readlog.source;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The files rotated away from a followed path that the server may still be writing to (until
 * logrotate's postrotate makes it reopen its log), oldest first: read beside the new file, and
 * let go once quiet for the rotate wait.
 */
final class RotatedLogs {

    /** Rotated files held open at once; a log rotated faster than the rotate wait drops the oldest. */
    private static final int MAX_ROTATED = 16;

    private final List<OpenLog> open = new ArrayList<>();
    private final long rotateWaitNanos;

    RotatedLogs(long rotateWaitNanos) {
        this.rotateWaitNanos = rotateWaitNanos;
    }

    void keep(OpenLog old) {
        open.add(old);
        while (open.size() > MAX_ROTATED) {
            open.remove(0).close();
        }
    }

    boolean isEmpty() {
        return open.isEmpty();
    }

    /** Whether the file with this inode is held open already. */
    boolean holds(long inode) {
        return open.stream().anyMatch(r -> r.inode == inode);
    }

    /** The file with this inode, no longer held as rotated (it was moved back to the path), or null. */
    OpenLog takeBack(long inode) {
        for (var it = open.iterator(); it.hasNext(); ) {
            var r = it.next();
            if (r.inode == inode) {
                it.remove();
                return r;
            }
        }
        return null;
    }

    /** Newest first, as they follow the file at the path in the saved positions. */
    List<LogPosition> positions() {
        var out = new ArrayList<LogPosition>();
        for (int i = open.size() - 1; i >= 0; i--) {
            out.add(open.get(i).position());
        }
        return out;
    }

    /** Reads every one; lets go of those quiet for the rotate wait, and of one that cannot be read (said to {@code warn}). */
    int read(Consumer<String> lines, long now, Consumer<String> warn) {
        int n = 0;
        for (var it = open.iterator(); it.hasNext(); ) {
            var r = it.next();
            try {
                n += r.drain(lines, now);
                if (now - r.lastActivity >= rotateWaitNanos) {
                    r.close();
                    it.remove();
                }
            } catch (IOException e) {
                warn.accept("read error on a rotated file: " + e.getMessage());
                r.close();
                it.remove();
            }
        }
        return n;
    }

    void close() {
        open.forEach(OpenLog::close);
        open.clear();
    }
}
