package org.poplock.readlog.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * One log file open for reading, at the path or rotated away from it: the descriptor, how far it
 * has been read, and what identifies its content (first line, the bytes before the offset), so
 * that a truncation is recognised even when the file has grown past our offset again.
 */
final class OpenLog implements AutoCloseable {

    private static final int FIRST_LINE_BYTES = 4096;
    /** How many bytes before the offset are hashed: a line's tail and more, never a common prefix. */
    static final int TAIL_BYTES = 512;

    private final FileChannel channel;
    final long inode;
    private long firstLineHash;
    private long offset;
    private long tailHash;
    private final LineSplitter splitter;
    private final ByteBuffer buffer;
    /** When it last grew (System.nanoTime), or was rotated away: a rotated file is let go once it has been quiet long enough. */
    long lastActivity;

    private OpenLog(FileChannel channel, long inode, LineSplitter splitter, ByteBuffer buffer, long now) throws IOException {
        this.channel = channel;
        this.inode = inode;
        this.splitter = splitter;
        this.buffer = buffer;
        this.firstLineHash = hashFirstLine(channel);
        this.lastActivity = now;
    }

    static OpenLog open(Path path, long inode, Consumer<String> warnings, ByteBuffer buffer, long now) throws IOException {
        var channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new OpenLog(channel, inode, new LineSplitter(warnings), buffer, now);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Whether {@code saved} describes this file's content up to its offset: same first line, same bytes before it. */
    boolean continues(LogPosition saved) throws IOException {
        if (saved.offset() > channel.size()) {
            return false;
        }
        if (saved.firstLineHash() != 0 && saved.firstLineHash() != firstLineHash) {
            return false;
        }
        return saved.tailHash() == 0 || saved.tailHash() == hashBefore(saved.offset());
    }

    /** Continue reading at {@code saved}'s offset (after {@link #continues} said yes). */
    void resumeAt(LogPosition saved) throws IOException {
        offset = saved.offset();
        tailHash = hashBefore(offset);
        splitter.reset();
    }

    /**
     * Whether what we read is still there: not truncated (shorter than our offset) and not
     * rewritten (first line or the bytes before our offset changed, copytruncate followed by
     * new lines reaching our offset before we looked).
     */
    boolean intact() throws IOException {
        if (offset == 0) {
            return true;
        }
        if (channel.size() < offset) {
            return false;
        }
        if (firstLineHash != 0 && hashFirstLine(channel) != firstLineHash) {
            return false;
        }
        return hashBefore(offset) == tailHash;
    }

    /** Start again at the beginning (the file was truncated). */
    void restart() throws IOException {
        offset = 0;
        tailHash = 0;
        splitter.reset();
        firstLineHash = hashFirstLine(channel);
    }

    /** Hands every complete line written since the last call to {@code lines}; returns how many. */
    int drain(Consumer<String> lines, long now) throws IOException {
        int n = 0;
        boolean grew = false;
        while (true) {
            buffer.clear();
            int read = channel.read(buffer, offset);
            if (read <= 0) {
                break;
            }
            grew = true;
            n += splitter.feed(buffer.array(), read, lines);
            offset += read;
        }
        if (grew) {
            lastActivity = now;
            tailHash = hashBefore(offset);
            if (firstLineHash == 0) {
                firstLineHash = hashFirstLine(channel);
            }
        }
        return n;
    }

    LogPosition position() {
        return new LogPosition(inode, firstLineHash, offset, tailHash);
    }

    long size() throws IOException {
        return channel.size();
    }

    long offset() {
        return offset;
    }

    /** CRC-32 of the {@link #TAIL_BYTES} bytes before {@code end} (fewer at the start of the file); never 0 for a non-empty range. */
    private long hashBefore(long end) throws IOException {
        int length = (int) Math.min(TAIL_BYTES, end);
        if (length == 0) {
            return 0;
        }
        var bytes = ByteBuffer.allocate(length);
        while (bytes.hasRemaining()) {
            if (channel.read(bytes, end - length + bytes.position()) <= 0) {
                return -1; // shorter than end now: matches no saved hash
            }
        }
        var crc = new CRC32();
        crc.update(bytes.array(), 0, length);
        return crc.getValue() | 1L << 32;
    }

    /** CRC-32 of the file's first line, or 0 while it has none complete. */
    static long hashFirstLine(FileChannel channel) throws IOException {
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

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to lose on a file we only read
        }
    }
}
