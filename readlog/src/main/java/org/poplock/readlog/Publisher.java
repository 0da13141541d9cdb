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
            if (tcpRules != null) {
                tcpRules.write(state.live(now));
            }
            lastPublish = now;
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
     * The table with user names catches up with the database, when it is behind and a second has
     * passed since it was last written, or at once when {@code atOnce} says so (an admin's change,
     * a stop). A full disk is one line whichever file met it first; publishing is said to work
     * again once both files are written.
     */
    void publishUsers(RelayState state, Instant now, boolean atOnce) {
        if (!usersBehind || !atOnce && System.nanoTime() - usersDue < 0) {
            return;
        }
        var users = new DatabaseLayout(db).users();
        try {
            RelayDatabase.publishEncoded(users, state.publishable(now), "rw-r-----", group);
            usersBehind = false;
            usersDue = System.nanoTime() + USERS_EVERY_NANOS;
            if (failing) {
                log.accept("published " + db + " and " + users.getFileName() + " again");
                failing = false;
            }
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                log.accept("cannot publish " + users + ": " + e.getMessage() + "; showallowed shows the last published users");
                failing = true;
            }
        }
    }

    Instant lastPublish() {
        return lastPublish;
    }
}
