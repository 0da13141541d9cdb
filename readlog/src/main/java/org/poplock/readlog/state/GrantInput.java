package org.poplock.readlog.state;

import java.time.Instant;

/**
 * What changes the grants once a round besides the logins the logs bring: the admin's spool, the
 * cluster's stream. It changes them only through {@link Grants}' own methods.
 */
public interface GrantInput {

    /** Applies what arrived since the last round; returns how many entries changed. */
    int apply(Instant now);

    /** Whether its changes are published to the users table at once (an admin waits on them), not within the second. */
    default boolean shownAtOnce() {
        return false;
    }

    /** What it applied so far is in the published database. */
    default void published() {
    }

    /** At a stop: nothing more is read; what had arrived is applied. */
    default void stop(Instant now) {
    }
}
