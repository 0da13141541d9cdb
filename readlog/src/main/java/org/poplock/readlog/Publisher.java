package org.poplock.readlog;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.common.store.PublishedTable;
import org.poplock.common.store.RelayEntry;
import org.poplock.readlog.state.Grants;
import org.poplock.readlog.state.RelayState;

/**
 * Writes the live entries of the state to the published database that relaylock reads (addresses
 * and times, readable by everyone), then the same with user names beside it (readable by root and
 * readlog's group, or --db-group); a large table as a base and the changes since
 * ({@link PublishedTable}), so a publish writes what changed. A failed
 * publish (full disk, directory gone) is reported and retried on the next round; the file readers
 * see meanwhile is the last complete one. The other outputs follow the grants after it (see
 * {@link Daemon}).
 */
final class Publisher {

    private final Path db;
    private final PublishedTable table;
    private final PublishedTable users;
    private final Grants.Journal tableChanges;
    private final Grants.Journal usersChanges;
    private final Consumer<String> log;
    private Instant lastPublish;
    private boolean failing;
    /** The users table lags the database by up to this much: it is for showallowed, not for relaylock. */
    private static final long USERS_EVERY_NANOS = 1_000_000_000L;
    private long usersDue = System.nanoTime();
    private boolean usersBehind;

    /** {@code group} may read the user names (--db-group; null: readlog's own); {@code grants} are what is published. */
    Publisher(Path db, String group, Grants grants, Consumer<String> log) {
        this.db = db;
        this.table = new PublishedTable(db, "rw-r--r--", null, RelayEntry::withoutUser);
        this.users = new PublishedTable(new DatabaseLayout(db).users(), "rw-r-----", group, UnaryOperator.identity());
        this.tableChanges = grants.journal();
        this.usersChanges = grants.journal();
        this.log = log;
    }

    /** Returns whether the database now holds the state's live entries. */
    boolean publish(RelayState state, Instant now) {
        try {
            table.publish(state.publishable(now), tableChanges.take());
            usersBehind = true;
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
        try {
            users.publish(state.publishable(now), usersChanges.take());
            usersBehind = false;
            usersDue = System.nanoTime() + USERS_EVERY_NANOS;
            if (failing) {
                log.accept("published " + db + " and " + new DatabaseLayout(db).users().getFileName() + " again");
                failing = false;
            }
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                log.accept("cannot publish " + new DatabaseLayout(db).users() + ": " + e.getMessage() + "; showallowed shows the last published users");
                failing = true;
            }
        }
    }

    /** When the database was last published, or "never". */
    String lastPublish() {
        return lastPublish == null ? "never" : lastPublish.toString();
    }
}
