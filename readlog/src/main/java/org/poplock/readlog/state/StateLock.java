package org.poplock.readlog.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.common.store.StateOwner;

/**
 * One readlog per state: a lock on {@code STATE.lock} that holds the owner's pid, so that a second
 * readlog is refused with a message naming the first, instead of corrupting the state. The kernel
 * drops the lock when its process dies, even by kill -9.
 */
final class StateLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private StateLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static StateLock acquire(Path state) throws IOException {
        var file = DatabaseLayout.lockOf(state);
        var channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            var owner = StateOwner.writtenIn(file);
            channel.close();
            throw new IOException("state " + state + " is in use by another readlog" + owner.map(pid -> " (pid " + pid + ")").orElse(""));
        }
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(StateOwner.content(ProcessHandle.current().pid())), 0);
        } catch (IOException | RuntimeException e) {
            channel.close(); // the lock goes with it
            throw new IOException("cannot write the lock " + file + ": " + e.getMessage(), e);
        }
        return new StateLock(channel, lock);
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the lock goes with the descriptor
        }
    }
}
