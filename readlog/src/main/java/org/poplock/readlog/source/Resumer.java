package org.poplock.readlog.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where a followed file is read from after a restart or a truncation: a saved position is resumed
 * only in the same file (inode, first line, bytes before the offset); the rest of a file rotated
 * or copied away meanwhile is read first from where {@link RotationSearch} finds it, and that file
 * is then held open with the rotated ones.
 */
final class Resumer {

    private final RotationSearch search;
    private final RotatedLogs held;
    private final ByteBuffer buffer;
    private final Consumer<String> warn;

    Resumer(RotationSearch search, RotatedLogs held, ByteBuffer buffer, Consumer<String> warn) {
        this.search = search;
        this.held = held;
        this.buffer = buffer;
        this.warn = warn;
    }

    /** The file now at the path, just opened, resumed where {@code saved} says; returns how many lines came from rotated files. */
    int resume(List<LogPosition> saved, OpenLog current, long inode, Consumer<String> lines, long now) throws IOException {
        int n = 0;
        FileTime rotatedWhileStopped = null;
        for (var p : saved) {
            if (p.inode() == inode) {
                if (current.continues(p)) {
                    current.resumeAt(p);
                } else {
                    // Truncated while we were stopped: the copy, if it is still beside, holds the rest.
                    var copy = search.find(p, false, now);
                    if (copy != null) {
                        n += adopt(copy.log(), p, lines, now);
                    }
                }
            } else {
                // Rotated while we were stopped: its rest comes first.
                var old = search.find(p, true, now);
                if (old != null) {
                    n += adopt(old.log(), p, lines, now);
                    if (rotatedWhileStopped == null || old.modified().compareTo(rotatedWhileStopped) < 0) {
                        rotatedWhileStopped = old.modified();
                    }
                }
            }
        }
        if (rotatedWhileStopped != null) {
            n += readLaterRotations(rotatedWhileStopped, inode, lines, now);
        }
        return n;
    }

    /**
     * Rotated more than once while we were stopped: the files rotated after the one we had open
     * were never seen, and are read whole, oldest first (a login in them that has expired by its
     * own time grants nothing).
     */
    private int readLaterRotations(FileTime after, long currentInode, Consumer<String> lines, long now) throws IOException {
        int n = 0;
        for (var c : search.laterThan(after, currentInode)) {
            try {
                n += adopt(OpenLog.open(c.file(), c.at().inode(), warn, buffer, now), new LogPosition(c.at().inode(), 0, 0, 0), lines, now);
            } catch (IOException e) {
                // gone or unreadable meanwhile: nothing to read from it
            }
        }
        return n;
    }

    /** Reads a rotated file found beside the path from {@code p}'s offset, and keeps it open while the server may write to it. */
    int adopt(OpenLog old, LogPosition p, Consumer<String> lines, long now) throws IOException {
        try {
            old.resumeAt(p);
            int n = old.drain(lines, now);
            held.keep(old);
            return n;
        } catch (IOException | RuntimeException e) {
            old.close(); // kept by no one: its descriptor would leak
            throw e;
        }
    }
}
