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
import org.poplock.readlog.tcprules.TcpRules;

/**
 * Writes the live entries of the state to the published database that relaylock reads (addresses
 * and times, readable by everyone), then the same with user names beside it (readable by root and
 * readlog's group, or --db-group); a large table as a base and the changes since
 * ({@link PublishedTable}), so a publish writes what changed. A failed
 * publish (full disk, directory gone) is reported and retried on the next round; the file readers
 * see meanwhile is the last complete one. The tcprules CDB, if any, is written after the database
 * and fails on its own: a failing tcprules is one line per cause (and one when it works again), is retried
 * every few seconds rather than every round, and never holds back the database.
 */
final class Publisher {

    private final Path db;
    private final PublishedTable table;
    private final PublishedTable users;
    private final Grants.Journal tableChanges;
    private final Grants.Journal usersChanges;
    private final TcpRules tcpRules;
    private final Consumer<String> log;
    private Instant lastPublish;
    private boolean failing;
    /** The users table lags the database by up to this much: it is for showallowed, not for relaylock. */
    private static final long USERS_EVERY_NANOS = 1_000_000_000L;
    private long usersDue = System.nanoTime();
    private boolean usersBehind;
    /** The CDB has not been written since the state last changed; it is failing, and when to try again. */
    private boolean cdbBehind;
    private String cdbFailure;
    private long cdbRetry;
    private static final long CDB_RETRY_NANOS = 5_000_000_000L;

    /** {@code group} may read the user names (--db-group; null: readlog's own); {@code grants} are what is published. */
    Publisher(Path db, String group, Grants grants, TcpRules tcpRules, Consumer<String> log) {
        this.db = db;
        this.table = new PublishedTable(db, "rw-r--r--", null, RelayEntry::withoutUser);
        this.users = new PublishedTable(new DatabaseLayout(db).users(), "rw-r-----", group, UnaryOperator.identity());
        this.tableChanges = grants.journal();
        this.usersChanges = grants.journal();
        this.tcpRules = tcpRules;
        this.log = log;
    }

    /** Returns whether the database now holds the state's live entries; the CDB follows, when it can ({@link #writeCdb}). */
    boolean publish(RelayState state, Instant now) {
        boolean published;
        try {
            table.publish(state.publishable(now), tableChanges.take());
            usersBehind = true;
            lastPublish = now;
            published = true;
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                log.accept("cannot publish " + db + ": " + e.getMessage() + "; relaylock keeps the last published file");
                failing = true;
            }
            published = false;
        }
        cdbBehind = tcpRules != null;
        writeCdb(state, now);
        return published;
    }

    /** The tcprules CDB catches up with the state, when it is behind and not waiting to retry a failure. */
    void writeCdb(RelayState state, Instant now) {
        if (!cdbBehind || cdbFailure != null && System.nanoTime() - cdbRetry < 0) {
            return;
        }
        try {
            tcpRules.write(state.live(now), "readlog");
            cdbBehind = false;
            if (cdbFailure != null) {
                log.accept("wrote " + tcpRules.cdb() + " again");
                cdbFailure = null;
            }
        } catch (IOException | RuntimeException e) {
            if (!e.getMessage().equals(cdbFailure)) {
                log.accept("cannot write " + tcpRules.cdb() + ": " + e.getMessage() + "; tcpserver keeps the last one, tried again every "
                        + CDB_RETRY_NANOS / 1_000_000_000L + "s; the database is published as always");
            }
            cdbFailure = e.getMessage();
            cdbRetry = System.nanoTime() + CDB_RETRY_NANOS;
        }
    }

    /** Why the CDB cannot be written now, or null. */
    String cdbFailure() {
        return cdbFailure;
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
