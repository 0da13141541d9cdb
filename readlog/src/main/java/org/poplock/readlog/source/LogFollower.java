package org.poplock.readlog.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
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
 */
public final class LogFollower implements LogSource {

    /** Rotated files held open at once; a log rotated faster than the rotate wait drops the oldest. */
    private static final int MAX_ROTATED = 16;
    private static final Set<String> COMPRESSED = Set.of(".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".lzma", ".lzo");

    private final Path path;
    private final Consumer<String> warnings;
    private final long rotateWaitNanos;
    private final LongSupplier nanoClock;
    private final ByteBuffer buffer = ByteBuffer.allocate(65536);
    private List<LogPosition> resumeAt;
    /** The file now at the path, or null. */
    private OpenLog current;
    /** Files rotated away from the path that the server may still be writing to, oldest first. */
    private final List<OpenLog> rotated = new ArrayList<>();
    private long seenSize = -1;
    private FileTime seenModified;
    private String lastProblem;
    /** Until the first poll has ended, what the files hold was written before readlog started: it is caught up on. */
    private boolean firstPoll = true;
    /**
     * Why the file at the path cannot be opened, while it cannot (readlog may not read it): said
     * again once a minute while it lasts, and reported by {@link #problem}, for it means no login
     * is recorded at all.
     */
    private String openFailure;
    private final Troubles openFailures;

    public LogFollower(Path path, List<LogPosition> resumeAt, Duration rotateWait, Consumer<String> warnings) {
        this(path, resumeAt, rotateWait, warnings, System::nanoTime);
    }

    LogFollower(Path path, List<LogPosition> resumeAt, Duration rotateWait, Consumer<String> warnings, LongSupplier nanoClock) {
        this.path = path;
        this.resumeAt = List.copyOf(resumeAt);
        this.rotateWaitNanos = rotateWait.toNanos();
        this.warnings = warnings;
        this.nanoClock = nanoClock;
        this.openFailures = new Troubles("", warnings, nanoClock);
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
        for (int i = rotated.size() - 1; i >= 0; i--) {
            out.add(rotated.get(i).position());
        }
        return out;
    }

    @Override
    public int poll(Lines lines) {
        try {
            return read(lines);
        } finally {
            firstPoll = false;
        }
    }

    private int read(Lines lines) {
        long now = nanoClock.getAsLong();
        int n = 0;
        try {
            var at = Stat.of(path);
            if (current != null && (at == null || at.inode() != current.inode)) {
                // Rotated or deleted: read what is there and keep reading it beside the new file.
                n += current.drain(lines, now);
                current.lastActivity = now;
                keepRotated(current);
                current = null;
            }
            if (current == null && at == null) {
                if (rotated.isEmpty()) {
                    warn("does not exist (yet); waiting for it");
                }
                return n + readRotated(lines, now);
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
                lastProblem = null;
            }
        } catch (IOException e) {
            warn("read error: " + e.getMessage());
            closeCurrent();
        }
        return n + readRotated(lines, now);
    }

    /** The path's file changed: check that what we read is still there before reading on. */
    private int readCurrent(Consumer<String> lines, long now) throws IOException {
        int n = 0;
        if (!current.intact()) {
            var before = current.position();
            var copy = findRotated(before, false, now);
            if (copy != null) {
                warn("truncated (copytruncate?); reading the rest of " + copy.file().getFileName() + ", then again from the start");
                n += adopt(copy.log(), before, lines, now);
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
        int n = 0;
        for (var it = rotated.iterator(); it.hasNext(); ) {
            var r = it.next();
            if (r.inode == at.inode()) { // moved back
                it.remove();
                current = r;
                return current.drain(lines, now);
            }
        }
        try {
            current = OpenLog.open(path, at.inode(), this::warn, buffer, now);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            openFailure = "cannot open " + path + ": " + Problems.reason(e);
            openFailures.say("open", openFailure + "; no login is recorded from it until it can be read");
            return 0;
        }
        if (openFailure != null) {
            openFailure = null;
            warnings.accept(path + ": opened; reading it");
        }
        var saved = resumeAt;
        resumeAt = List.of();
        FileTime rotatedWhileStopped = null;
        for (var p : saved) {
            if (p.inode() == at.inode()) {
                if (current.continues(p)) {
                    current.resumeAt(p);
                } else {
                    // Truncated while we were stopped: the copy, if it is still beside, holds the rest.
                    var copy = findRotated(p, false, now);
                    if (copy != null) {
                        n += adopt(copy.log(), p, lines, now);
                    }
                }
            } else {
                // Rotated while we were stopped: its rest comes first.
                var old = findRotated(p, true, now);
                if (old != null) {
                    n += adopt(old.log(), p, lines, now);
                    if (rotatedWhileStopped == null || old.modified().compareTo(rotatedWhileStopped) < 0) {
                        rotatedWhileStopped = old.modified();
                    }
                }
            }
        }
        if (rotatedWhileStopped != null) {
            n += readLaterRotations(rotatedWhileStopped, at.inode(), lines, now);
        }
        return n + current.drain(lines, now);
    }

    /**
     * Rotated more than once while we were stopped: the files rotated after the one we had open
     * were never seen, and are read whole, oldest first (a login in them that has expired by its
     * own time grants nothing).
     */
    private int readLaterRotations(FileTime after, long currentInode, Consumer<String> lines, long now) throws IOException {
        var later = rotatedBeside().stream().filter(c -> c.at().inode() != currentInode && c.at().modified().compareTo(after) > 0)
                .sorted(Comparator.comparing(c -> c.at().modified())).toList();
        int n = 0;
        for (var c : later) {
            try {
                n += adopt(OpenLog.open(c.file(), c.at().inode(), this::warn, buffer, now), new LogPosition(c.at().inode(), 0, 0, 0), lines, now);
            } catch (IOException e) {
                // gone or unreadable meanwhile: nothing to read from it
            }
        }
        return n;
    }

    /** Reads a rotated file found beside the path from {@code p}'s offset, and keeps it open while the server may write to it. */
    private int adopt(OpenLog old, LogPosition p, Consumer<String> lines, long now) throws IOException {
        try {
            old.resumeAt(p);
            int n = old.drain(lines, now);
            keepRotated(old);
            return n;
        } catch (IOException | RuntimeException e) {
            old.close(); // kept by no one: its descriptor would leak
            throw e;
        }
    }

    /** A regular file beside the path with a rotated name and not open already, as it was when listed. */
    private record Candidate(Path file, Stat at) {
    }

    /** A rotated file found for a saved position: opened, not yet read, and when it was last written. */
    private record Found(Path file, OpenLog log, FileTime modified) {
    }

    private List<Candidate> rotatedBeside() throws IOException {
        var base = path.getFileName().toString();
        var out = new ArrayList<Candidate>();
        try (var files = Files.list(path.toAbsolutePath().getParent())) {
            for (var f : files.filter(f -> isRotatedName(base, f.getFileName().toString())).sorted().toList()) {
                var at = Stat.of(f);
                if (at != null && Files.isRegularFile(f) && rotated.stream().noneMatch(r -> r.inode == at.inode())) {
                    out.add(new Candidate(f, at));
                }
            }
        }
        return out;
    }

    /**
     * The rotated file beside the path that {@code p} was read from, opened: by inode
     * ({@code sameInode}, a renamed file) or by content alone (a copy, as copytruncate makes).
     */
    private Found findRotated(LogPosition p, boolean sameInode, long now) throws IOException {
        if (!sameInode && p.tailHash() == 0) {
            return null; // nothing to tell the copy by
        }
        for (var c : rotatedBeside()) {
            if (sameInode != (c.at().inode() == p.inode())) {
                continue;
            }
            OpenLog candidate;
            try {
                candidate = OpenLog.open(c.file(), c.at().inode(), this::warn, buffer, now);
            } catch (IOException e) {
                continue; // unreadable or gone: not the one
            }
            try {
                if (candidate.continues(p)) {
                    return new Found(c.file(), candidate, c.at().modified());
                }
            } catch (IOException e) {
                // unreadable now: not the one
            }
            candidate.close();
        }
        return null;
    }

    private static boolean isRotatedName(String base, String name) {
        if (name.length() <= base.length() + 1 || !name.startsWith(base)) {
            return false;
        }
        char c = name.charAt(base.length());
        if (c != '.' && c != '-' && c != '_') {
            return false;
        }
        int dot = name.lastIndexOf('.');
        return dot < 0 || !COMPRESSED.contains(name.substring(dot));
    }

    private void keepRotated(OpenLog old) {
        rotated.add(old);
        while (rotated.size() > MAX_ROTATED) {
            rotated.remove(0).close();
        }
    }

    /** Reads the rotated files; lets go of those quiet for the rotate wait. */
    private int readRotated(Consumer<String> lines, long now) {
        int n = 0;
        for (var it = rotated.iterator(); it.hasNext(); ) {
            var r = it.next();
            try {
                n += r.drain(lines, now);
                if (now - r.lastActivity >= rotateWaitNanos) {
                    r.close();
                    it.remove();
                }
            } catch (IOException e) {
                warn("read error on a rotated file: " + e.getMessage());
                r.close();
                it.remove();
            }
        }
        return n;
    }

    /** inode, size and modification time of what is at a path now, or null if nothing is. */
    private record Stat(long inode, long size, FileTime modified) {
        static Stat of(Path p) throws IOException {
            try {
                var attrs = Files.readAttributes(p, "unix:ino,size,lastModifiedTime");
                return new Stat((Long) attrs.get("ino"), (Long) attrs.get("size"), (FileTime) attrs.get("lastModifiedTime"));
            } catch (NoSuchFileException e) {
                return null;
            }
        }
    }

    private void warn(String problem) {
        // Say each problem once, not on every poll.
        if (!problem.equals(lastProblem)) {
            lastProblem = problem;
            warnings.accept(path + ": " + problem);
        }
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
        rotated.forEach(OpenLog::close);
        rotated.clear();
    }
}
