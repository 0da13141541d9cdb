package org.poplock.readlog.source;

import java.util.List;
import java.util.function.Consumer;

/** Where log lines come from: a followed file, standard input, a syslog FIFO, or the systemd journal. */
public interface LogSource extends AutoCloseable {

    /** Where a source's lines go. */
    @FunctionalInterface
    interface Lines extends Consumer<String> {
        /** A line whose sender the source cannot vouch for (the journal's trusted fields say so): parsed, never recorded. */
        default void untrusted(String line, String why) {
        }

        /**
         * A line that was in the file before readlog opened it (the first start, or a state set
         * aside): its time, if it has one, is all that tells whether it is new.
         */
        default void catchingUp(String line) {
            accept(line);
        }

        /** An item of the source that cannot be read (a journal entry whose time is out of range): dropped, said and counted. */
        default void damaged(String where, String why) {
        }
    }

    /** What the admin named it (a path, or {@code -}). */
    String name();

    /** Hands every complete line available now to {@code lines}; never blocks; returns how many. */
    int poll(Lines lines);

    /** How far each file has been read (the file at the path first, then rotated ones still open), to be saved with the state; empty for a stream. */
    default List<LogPosition> positions() {
        return List.of();
    }

    /** Where a stream that has one was read to (the journal's cursor), to be saved with the state; null for others. */
    default String cursor() {
        return null;
    }

    /** Why this source cannot be read now (a log readlog may not open), or null while it can. */
    default String problem() {
        return null;
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
