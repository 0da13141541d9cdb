package org.poplock.readlog.source;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Follows one log file the way {@code tail -F} does, polled by the daemon's loop. It notices
 * rename rotation and delete-and-recreate (another inode at the path: the old file is read to its
 * end first, then the new one from its start), copytruncate (the file is shorter than our
 * position: start again at 0), and a file that does not exist yet. A last line without its newline
 * is held back until it is complete, so a line is never taken half-written.
 */
public final class LogFollower implements AutoCloseable {

    /** Lines longer than this are cut off and skipped whole: no login line comes near it. */
    public static final int MAX_LINE = 65536;

    private final Path path;
    private final Consumer<String> warnings;
    private LogPosition resumeAt;
    private FileChannel channel;
    private long inode;
    private long offset;
    private final ByteBuffer buffer = ByteBuffer.allocate(65536);
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private boolean overlong;
    private String lastProblem;

    public LogFollower(Path path, Optional<LogPosition> resumeAt, Consumer<String> warnings) {
        this.path = path;
        this.resumeAt = resumeAt.orElse(null);
        this.warnings = warnings;
    }

    public Path path() {
        return path;
    }

    /** Where reading stands now, to be saved with the state. Empty before the file was opened. */
    public Optional<LogPosition> position() {
        return channel == null ? Optional.empty() : Optional.of(new LogPosition(inode, offset));
    }

    /** Hands every complete line now in the file to {@code lines}; returns how many. */
    public int poll(Consumer<String> lines) {
        try {
            if (channel == null && !open()) {
                return 0;
            }
            int n = drain(lines);
            var current = identity();
            if (current == null || current[0] != inode) {
                // Rotated or deleted: the old file is read to its end; follow the path's new file from its start.
                n += drain(lines);
                closeChannel();
                resumeAt = null;
                if (current != null && open()) {
                    n += drain(lines);
                }
            } else if (current[1] < offset) {
                warn("truncated (copytruncate?), reading again from the start");
                offset = 0;
                partial.reset();
                overlong = false;
                n += drain(lines);
            }
            lastProblem = null;
            return n;
        } catch (IOException e) {
            warn("read error: " + e.getMessage());
            closeChannel();
            return 0;
        }
    }

    private boolean open() throws IOException {
        long[] id;
        try {
            if (Files.isDirectory(path)) {
                warn("is a directory, not a log file");
                return false;
            }
            id = identity();
            if (id == null) {
                warn("does not exist (yet); waiting for it");
                return false;
            }
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            warn("cannot open: " + e.getMessage());
            return false;
        }
        inode = id[0];
        offset = resumeAt != null && resumeAt.inode() == inode && resumeAt.offset() <= id[1] ? resumeAt.offset() : 0;
        resumeAt = null;
        partial.reset();
        overlong = false;
        return true;
    }

    private int drain(Consumer<String> lines) throws IOException {
        int n = 0;
        while (true) {
            buffer.clear();
            int read = channel.read(buffer, offset);
            if (read <= 0) {
                return n;
            }
            var bytes = buffer.array();
            int start = 0;
            for (int i = 0; i < read; i++) {
                if (bytes[i] == '\n') {
                    append(bytes, start, i);
                    if (!overlong) {
                        lines.accept(decode(partial.toByteArray()));
                        n++;
                    }
                    partial.reset();
                    overlong = false;
                    start = i + 1;
                }
            }
            append(bytes, start, read);
            offset += read;
        }
    }

    private void append(byte[] bytes, int from, int to) {
        if (overlong) {
            return;
        }
        if (partial.size() + (to - from) > MAX_LINE) {
            warn("skipping a line longer than " + MAX_LINE + " bytes");
            overlong = true;
            partial.reset();
            return;
        }
        partial.write(bytes, from, to - from);
    }

    private static String decode(byte[] line) {
        int len = line.length;
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        // Invalid UTF-8 becomes U+FFFD: it cannot form an address, and the rest of the line still parses.
        return new String(line, 0, len, StandardCharsets.UTF_8);
    }

    /** inode and size of what is at the path now, or null if nothing is. */
    private long[] identity() throws IOException {
        try {
            var attrs = Files.readAttributes(path, "unix:ino,size");
            return new long[] {(Long) attrs.get("ino"), (Long) attrs.get("size")};
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private void warn(String problem) {
        // Say each problem once, not on every poll.
        if (!problem.equals(lastProblem)) {
            lastProblem = problem;
            warnings.accept(path + ": " + problem);
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to lose on a file we only read
            }
            channel = null;
        }
    }

    @Override
    public void close() {
        closeChannel();
    }
}
