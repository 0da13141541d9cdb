package org.poplock.readlog.source;

import java.util.List;
import java.util.function.Consumer;

/** Where log lines come from: a followed file, standard input, or a syslog FIFO. */
public interface LogSource extends AutoCloseable {

    /** What the admin named it (a path, or {@code -}). */
    String name();

    /** Hands every complete line available now to {@code lines}; never blocks; returns how many. */
    int poll(Consumer<String> lines);

    /** How far each file has been read (the file at the path first, then rotated ones still open), to be saved with the state; empty for a stream. */
    default List<LogPosition> positions() {
        return List.of();
    }

    /** Whether this source has ended for good (standard input at end of file). */
    default boolean ended() {
        return false;
    }

    /** Lines dropped because the reader was behind (a FIFO's bounded queue). */
    default long dropped() {
        return 0;
    }

    @Override
    void close();
}
