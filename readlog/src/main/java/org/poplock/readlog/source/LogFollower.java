package org.poplock.readlog.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * Follows one log file the way {@code tail -F} does, polled by the daemon's loop. It notices
 * rename rotation and delete-and-recreate (another file at the path: the old file is read to its
 * end first, then the new one from its start), copytruncate (the file is shorter than our
 * position: start again at 0), and a file that does not exist yet. A saved position is resumed
 * only in the same file (same inode and first line), so a restart never skips a new file's lines.
 */
public final class LogFollower implements LogSource {

    private static final int FIRST_LINE_BYTES = 4096;

    private final Path path;
    private final Consumer<String> warnings;
    private final LineSplitter splitter;
    private LogPosition resumeAt;
    private FileChannel channel;
    private long inode;
    private long firstLineHash;
    private long offset;
    private final ByteBuffer buffer = ByteBuffer.allocate(65536);
    private String lastProblem;

    public LogFollower(Path path, Optional<LogPosition> resumeAt, Consumer<String> warnings) {
        this.path = path;
        this.resumeAt = resumeAt.orElse(null);
        this.warnings = warnings;
        this.splitter = new LineSplitter(problem -> warn(problem));
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public Optional<LogPosition> position() {
        return channel == null ? Optional.empty() : Optional.of(new LogPosition(inode, firstLineHash, offset));
    }

    @Override
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
                splitter.reset();
                n += drain(lines);
            }
            if (firstLineHash == 0) {
                firstLineHash = firstLineHash();
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
        firstLineHash = firstLineHash();
        offset = 0;
        if (resumeAt != null && resumeAt.inode() == inode && resumeAt.offset() <= id[1]
                && (resumeAt.firstLineHash() == 0 || resumeAt.firstLineHash() == firstLineHash)) {
            offset = resumeAt.offset();
        }
        resumeAt = null;
        splitter.reset();
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
            n += splitter.feed(buffer.array(), read, lines);
            offset += read;
        }
    }

    /** CRC-32 of the file's first line, or 0 while it has none complete. */
    private long firstLineHash() throws IOException {
        var head = ByteBuffer.allocate(FIRST_LINE_BYTES);
        int read = channel.read(head, 0);
        for (int i = 0; i < read; i++) {
            if (head.get(i) == '\n') {
                var crc = new CRC32();
                crc.update(head.array(), 0, i);
                return crc.getValue() | 1L << 32; // never 0
            }
        }
        return read == FIRST_LINE_BYTES ? 1L << 33 : 0; // a first line longer than we look at
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
