package org.poplock.readlog.cluster;

import java.util.function.Consumer;
import org.poplock.readlog.Troubles;

/**
 * What readlog says of the cluster, from both threads: one line when it is lost, one when it is
 * back (with what went out and came in meanwhile), {@link #problem()} for /health while it lasts,
 * and the entries and keys it ignored, through {@link Troubles}.
 */
final class Health {

    private final String where;
    private final Consumer<String> log;
    private boolean lost;
    private long lostAt;
    private String lostWhy;
    private boolean senderOk = true;
    private boolean followerOk;
    private long sentSince;
    private long receivedSince;
    private long ignored;
    private final Troubles troubles;

    Health(String where, Consumer<String> log) {
        this.where = where;
        this.log = log;
        this.troubles = new Troubles("cluster: ", log);
    }

    synchronized void down(RuntimeException e, int waiting) {
        if (!lost) {
            lost = true;
            lostAt = System.nanoTime();
            lostWhy = Failures.reason(e);
            sentSince = 0;
            receivedSince = 0;
            log.accept("cluster " + where + " lost: " + Failures.reason(e) + "; logins are recorded and published here"
                    + (waiting > 0 ? ", " + waiting + " waiting to be sent" : "") + "; retrying with backoff");
        }
        senderOk = false;
        followerOk = false;
    }

    synchronized void sent(int n, boolean allSent) {
        sentSince += n;
        senderOk = allSent;
        backIfBoth();
    }

    synchronized void received(int n) {
        receivedSince += n;
        followerOk = true;
        backIfBoth();
    }

    synchronized void caughtUp(int loaded, boolean hadPosition) {
        receivedSince += loaded;
        log.accept("cluster " + where + ": loaded " + loaded + " current grants from its keys"
                + (hadPosition ? " (the stream no longer reached back to our position)" : "") + "; following its stream");
    }

    private void backIfBoth() {
        if (lost && senderOk && followerOk) {
            lost = false;
            log.accept("cluster " + where + " back after " + (System.nanoTime() - lostAt) / 1_000_000_000L + "s: "
                    + sentSince + " changes sent, " + receivedSince + " came in");
        }
    }

    /** What /health says while the cluster is lost (the grants of other hosts are not coming in), or null. */
    synchronized String problem() {
        return lost ? "cluster " + where + " lost " + (System.nanoTime() - lostAt) / 1_000_000_000L + " s ago: " + lostWhy
                + "; logins are recorded and published here" : null;
    }

    /** A stream entry or grant key ignored or replaced ({@code what} names it, quoted): rate-limited by {@link Troubles}, per {@code kind}. */
    synchronized void ignoredEntry(String kind, String what, String why) {
        ignored++;
        troubles.say(kind, "ignoring " + what + ": " + why);
    }

    synchronized long ignored() {
        return ignored;
    }
}
