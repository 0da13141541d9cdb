package org.poplock.common.store;

import java.nio.file.Path;

/**
 * The files that go with a published database, named in one place for readlog, showallowed and
 * the packaging: for {@code /var/lib/poplock/relay.db}, the user names ({@code relay.db.users}),
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
