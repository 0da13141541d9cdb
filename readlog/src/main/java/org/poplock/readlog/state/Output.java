package org.poplock.readlog.state;

import java.time.Instant;

/**
 * What follows the grants besides the published database: the tcprules CDB, the policy service's
 * live table, the cluster's outbox, metrics. {@link Grants} tells it of this host's own changes
 * as they are made (never of what another host sent, nor of an expiry: those need not travel);
 * the daemon tells it of each round's end. Every hook runs on the daemon's thread.
 */
public interface Output {

    /** The address's entry was written here: a login, an extension, an admin's grant. */
    default void granted(String ip) {
    }

    /** The admin withdrew the address's grant at {@code at} (whether it had one or not: another host may). */
    default void withdrawn(String ip, Instant at) {
    }

    /** The admin withdrew every grant at {@code at}. */
    default void flushed(Instant at) {
    }

    /** This host flagged {@code user} at {@code at} until {@code until}: no grants for them meanwhile. */
    default void flagged(String user, Instant until, Instant at) {
    }

    /** The admin lifted {@code user}'s flag here at {@code at}. */
    default void unflagged(String user, Instant at) {
    }

    /** The round's changes are all in, before the database is published: what answers from memory follows now. */
    default void settled(Instant now) {
    }

    /** After the round's publish; {@code changed} says whether the grants changed since the last one (a publish was due). */
    default void published(Instant now, boolean changed) {
    }

    /** Why this output cannot follow the grants now (for /health), or null. */
    default String problem() {
        return null;
    }

    /** Its part of the summary line, or null. */
    default String summary() {
        return null;
    }
}
