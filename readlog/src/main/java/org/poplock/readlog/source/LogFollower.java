package org.poplock.readlog.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.poplock.common.store.Problems;
import org.poplock.readlog.Troubles;

/**
 * Follows one log file the way {@code tail -F} does, polled by the daemon's loop, and loses no
 * line around a rotation:
 * <ul>
 * <li>rename or delete rotation: the server goes on writing to the old file until it reopens its
 * log (logrotate's postrotate HUP), so the old file stays open and is read beside the new one
 * until it has been quiet for the rotate wait;</li>
 * <li>copytruncate: recognised by content as well as size (first line, and the bytes before our
 * offset), checked before anything past our offset is read, so a truncated file that has grown
 * past our offset again is read from its start, never from the middle of a line; the lines the
 * copy holds beyond our offset are read from the copy first;</li>
 * <li>a saved position is resumed only in the same file (inode, first line, bytes before the
 * offset); a file rotated while readlog was stopped is looked for among the rotated names beside
 * the path ({@code PATH.1}, {@code PATH-20261201}, uncompressed) and its rest read first.</li>
 * </ul>
 * This class follows the path; {@link RotatedLogs} holds the files rotated away, {@link RotationSearch}
 * finds them beside the path, and {@link Resumer} resumes where a saved position or a truncation says.
 */
public final class LogFollower implements Input {

    /** The kind of {@link #warn}'s lines: each is said once, not on every poll. */
    private static final String PROBLEM = "problem";

    private final Path path;
    private final Consumer<String> warnings;
    private final LongSupplier nanoClock;
    private final ByteBuffer buffer = ByteBuffer.allocate(65536);
    private List<LogPosition> resumeAt;
    /** The file now at the path, or null. */
    private OpenLog current;
    /** Files rotated away from the path that the server may still be writing to. */
    private final RotatedLogs rotated;
    private final RotationSearch search;
    private final Resumer resumer;
    private long seenSize = -1;
    private FileTime seenModified;
    /** Until the first poll has ended, what the files hold was written before readlog started: it is caught up on. */
    private boolean firstPoll = true;
    /**
     * Why the file at the path cannot be opened, while it cannot (readlog may not read it): said
     * again once a minute while it lasts, and reported by {@link #problem}, for it means no login
     * is recorded at all.
     */
    private String openFailure;
    /** Where its warnings go: an open failure at most once a minute, a lasting problem once while it lasts. */
    private final Troubles troubles;

    public LogFollower(Path path, List<LogPosition> resumeAt, Duration rotateWait, Consumer<String> warnings) {
        this(path, resumeAt, rotateWait, warnings, System::nanoTime);
    }

    LogFollower(Path path, List<LogPosition> resumeAt, Duration rotateWait, Consumer<String> warnings, LongSupplier nanoClock) {
        this.path = path;
        this.resumeAt = List.copyOf(resumeAt);
        this.warnings = warnings;
        this.rotated = new RotatedLogs(rotateWait.toNanos());
        this.search = new RotationSearch(path, rotated, buffer, this::warn);
        this.resumer = new Resumer(search, rotated, buffer, this::warn);
        this.nanoClock = nanoClock;
        this.troubles = new Troubles("", warnings, nanoClock);
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public String problem() {
        return openFailure;
    }

    /** The file at the path first, then the rotated files still open. */
    @Override
    public List<LogPosition> positions() {
        var out = new ArrayList<LogPosition>();
        if (current != null) {
            out.add(current.position());
        }
        out.addAll(rotated.positions());
        return out;
    }

    @Override
    public int poll(Events lines) {
        try {
            return read(lines);
        } finally {
            firstPoll = false;
        }
    }

    private int read(Events lines) {
        long now = nanoClock.getAsLong();
        int n = 0;
        try {
            var at = Stat.of(path);
            if (current != null && (at == null || at.inode() != current.inode)) {
                // Rotated or deleted: read what is there and keep reading it beside the new file.
                n += current.drain(lines, now);
                current.lastActivity = now;
                rotated.keep(current);
                current = null;
            }
            if (current == null && at == null) {
                if (rotated.isEmpty()) {
                    warn("does not exist (yet); waiting for it");
                }
                return n + rotated.read(lines, now, this::warn);
            }
            if (current == null) {
                n += openAtPath(at, firstPoll ? lines::catchingUp : lines, now);
            } else if (current != null && (at.size() != seenSize || !at.modified().equals(seenModified))) {
                n += readCurrent(lines, now);
            }
            if (at != null) {
                seenSize = at.size();
                seenModified = at.modified();
            }
            if (current != null) {
                troubles.over(PROBLEM);
            }
        } catch (IOException e) {
            warn("read error: " + e.getMessage());
            closeCurrent();
        }
        return n + rotated.read(lines, now, this::warn);
    }

    /** The path's file changed: check that what we read is still there before reading on. */
    private int readCurrent(Consumer<String> lines, long now) throws IOException {
        int n = 0;
        if (!current.intact()) {
            var before = current.position();
            var copy = search.find(before, false, now);
            if (copy != null) {
                warn("truncated (copytruncate?); reading the rest of " + copy.file().getFileName() + ", then again from the start");
                n += resumer.adopt(copy.log(), before, lines, now);
            } else {
                warn("truncated (copytruncate?), reading again from the start");
            }
            current.restart();
        }
        return n + current.drain(lines, now);
    }

    /** Opens the file now at the path; on the first open, resumes where the saved positions say. */
    private int openAtPath(Stat at, Consumer<String> lines, long now) throws IOException {
        if (Files.isDirectory(path)) {
            warn("is a directory, not a log file");
            return 0;
        }
        var movedBack = rotated.takeBack(at.inode());
        if (movedBack != null) {
            current = movedBack;
            return current.drain(lines, now);
        }
        try {
            current = OpenLog.open(path, at.inode(), this::warn, buffer, now);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            openFailure = "cannot open " + path + ": " + Problems.reason(e);
            troubles.say("open", openFailure + "; no login is recorded from it until it can be read");
            return 0;
        }
        if (openFailure != null) {
            openFailure = null;
            warnings.accept(path + ": opened; reading it");
        }
        var saved = resumeAt;
        resumeAt = List.of();
        int n = resumer.resume(saved, current, at.inode(), lines, now);
        return n + current.drain(lines, now);
    }

    private void warn(String problem) {
        troubles.sayOnChange(PROBLEM, path + ": " + problem);
    }

    private void closeCurrent() {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    @Override
    public void close() {
        closeCurrent();
        rotated.close();
    }
}
