package org.poplock.common.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The files that go with a published database, named in one place for readlog, showallowed and
 * the packaging: for {@code /var/lib/poplock/relay.db}, the user names ({@code relay.db.users}),
 * the recent changes to a large table of either ({@code relay.db.delta-N}, {@code relay.db.users.delta-N}),
 * the shared addresses and flagged users for showallowed ({@code relay.db.blast}),
 * readlog's state ({@code readlog.state}) and its lock ({@code readlog.state.lock}), and the spool
 * of admin commands ({@code spool/}).
 */
public record DatabaseLayout(Path db) {

    public DatabaseLayout {
        db = db.toAbsolutePath();
    }

    /**
     * The table of user names: the database relaylock reads (as the SMTP service's user) holds
     * addresses and times only; who logged in from where is here, readable by root and readlog's group.
     */
    public Path users() {
        return db.resolveSibling(db.getFileName() + ".users");
    }

    /**
     * The shared addresses with their users and the flagged users ({@link BlastTable}): it names
     * users, so it has the mode and group of {@link #users()}.
     */
    public Path blast() {
        return db.resolveSibling(db.getFileName() + ".blast");
    }

    /**
     * The delta of a large published table ({@code relay.db} or {@code relay.db.users}): the
     * changes since that table was written, for the generation the table names
     * ({@link PublishedTable}), e.g. {@code relay.db.delta-1764633600123}.
     */
    public static Path delta(Path table, long generation) {
        return table.resolveSibling(table.getFileName() + DELTA + generation);
    }

    /** The generation a table's {@link ReservedKeys#DELTA} names, or -1 when it has none. */
    public static long generationOf(Path file, byte[] value) throws IOException {
        if (value == null) {
            return -1;
        }
        try {
            long generation = Long.parseLong(new String(value, StandardCharsets.US_ASCII));
            if (generation > 0) {
                return generation;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IOException(file + " is not a relay database: its delta generation is not a number");
    }

    /** What names a delta file of {@code table}, before its generation. */
    static final String DELTA = ".delta-";

    /** readlog's own state, unless --state names another. */
    public Path state() {
        return db.resolveSibling("readlog.state");
    }

    /** The spool directory of admin commands ({@link Spool}). */
    public Path spool() {
        return db.resolveSibling("spool");
    }

    /** The lock file of a readlog state, holding the pid of the readlog that has it open ({@link StateOwner}). */
    public static Path lockOf(Path state) {
        return state.resolveSibling(state.getFileName() + ".lock");
    }
}
