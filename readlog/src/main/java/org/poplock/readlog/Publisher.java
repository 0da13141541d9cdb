package org.poplock.readlog;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.Consumer;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;
import org.poplock.readlog.state.RelayState;

/**
 * Writes the live entries of the state to the published database that relaylock reads (addresses
 * and times, readable by everyone), then the same with user names beside it (readable by root and
 * readlog's group, or --db-group). A failed
 * publish (full disk, directory gone) is reported and retried on the next round; the file readers
 * see meanwhile is the last complete one.
 */
final class Publisher {

    private final Path db;
    /** The group that may read the user names (--db-group), or null for readlog's own. */
    private final String group;
    private final TcpRules tcpRules;
    private final Consumer<String> log;
    private Instant lastPublish;
    private boolean failing;
    /** The users table lags the database by up to this much: it is for showallowed, not for relaylock. */
    private static final long USERS_EVERY_NANOS = 1_000_000_000L;
    private long usersDue = System.nanoTime();
    private boolean usersBehind;

    Publisher(Path db, String group, TcpRules tcpRules, Consumer<String> log) {
        this.db = db;
        this.group = group;
        this.tcpRules = tcpRules;
        this.log = log;
    }

    /** Returns whether the database (and the tcprules CDB, if any) now hold the state's live entries. */
    boolean publish(RelayState state, Instant now) {
        try {
            var live = state.publishable(now);
            RelayDatabase.publishEncoded(db, live, "rw-r--r--", null, RelayEntry::withoutUser);
            usersBehind = true;
            publishUsers(state, now, false);
            if (tcpRules != null) {
                tcpRules.write(state.live(now));
            }
            lastPublish = now;
            if (failing) {
                log.accept("published " + db + " again");
                failing = false;
            }
            return true;
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                log.accept("cannot publish " + db + ": " + e.getMessage() + "; relaylock keeps the last published file");
                failing = true;
            }
            return false;
        }
    }

    /**
     * Writes the table with user names when it is behind the database and a second has passed
     * since it was last written, or at once when {@code now} is a stop; one failure is reported by
     * the next database publish.
     */
    void publishUsers(RelayState state, Instant now, boolean stop) throws IOException {
        if (usersBehind && (stop || System.nanoTime() - usersDue >= 0)) {
            RelayDatabase.publishEncoded(new DatabaseLayout(db).users(), state.publishable(now), "rw-r-----", group);
            usersBehind = false;
            usersDue = System.nanoTime() + USERS_EVERY_NANOS;
        }
    }

    /** A round with nothing to publish: the users table catches up if it is behind. */
    void idle(RelayState state, Instant now, boolean stop) {
        try {
            publishUsers(state, now, stop);
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                log.accept("cannot publish " + new DatabaseLayout(db).users() + ": " + e.getMessage());
                failing = true;
            }
        }
    }

    Instant lastPublish() {
        return lastPublish;
    }
}
