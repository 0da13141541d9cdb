package org.poplock.common.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The contract of a state's lock file between readlog, which holds it, and showallowed, which
 * asks who does: the owner's pid in decimal and a newline. The lock itself is the kernel's.
 */
public final class StateOwner {

    private StateOwner() {
    }

    /** What readlog writes into the lock file it holds. */
    public static byte[] content(long pid) {
        return (pid + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The pid written in a lock file, if it is one. */
    public static Optional<Long> writtenIn(Path lockFile) {
        try {
            var text = Files.readString(lockFile, StandardCharsets.US_ASCII).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The pid of the readlog that holds the lock, if that process is alive. */
    public static Optional<Long> alive(Path lockFile) {
        return writtenIn(lockFile).filter(pid -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent());
    }
}
