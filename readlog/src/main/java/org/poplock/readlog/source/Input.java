package org.poplock.readlog.source;

import java.util.List;
import java.util.function.Consumer;
import org.poplock.readlog.parse.Login;

/**
 * Where the daemon's loop takes its events from: a followed file, standard input, a syslog FIFO,
 * the systemd journal (lines), or Dovecot's reports (logins already parsed). The loop polls each
 * once a round; what it brings goes to {@link Events}.
 */
public interface Input extends AutoCloseable {

    /** Where an input's events go: lines to be parsed, or logins a server told readlog itself. */
    @FunctionalInterface
    interface Events extends Consumer<String> {
        /** A line whose sender the input cannot vouch for (the journal's trusted fields say so): parsed, never recorded. */
        default void untrusted(String line, String why) {
        }

        /**
         * A line that was in the file before readlog opened it (the first start, or a state set
         * aside): its time, if it has one, is all that tells whether it is new.
         */
        default void catchingUp(String line) {
            accept(line);
        }

        /** A login already parsed (Dovecot's report): checked against the policy as a parsed line's is. */
        default void login(Login login) {
            throw new UnsupportedOperationException("this reader of lines takes no parsed logins");
        }

        /** An item of the input that cannot be read (a journal entry whose time is out of range): dropped, said and counted. */
        default void damaged(String where, String why) {
        }
    }

    /** What the admin named it (a path, {@code -}), or what it is called in readlog's lines and metrics. */
    String name();

    /** Hands every event available now to {@code events}; never blocks; returns how many. */
    int poll(Events events);

    /** How far each file has been read (the file at the path first, then rotated ones still open), to be saved with the state; empty for a stream. */
    default List<LogPosition> positions() {
        return List.of();
    }

    /** Where a stream that has one was read to (the journal's cursor), to be saved with the state; null for others. */
    default String cursor() {
        return null;
    }

    /** Why this input cannot be read now (a log readlog may not open), or null while it can. */
    default String problem() {
        return null;
    }

    /** Whether this input has ended for good (standard input at end of file). */
    default boolean ended() {
        return false;
    }

    /** Lines dropped because the reader was behind (a FIFO's bounded queue): such a loss drops the two-line logins waiting to be joined. */
    default long dropped() {
        return 0;
    }

    @Override
    void close();
}
