package org.poplock.readlog.cluster;

import java.util.function.Consumer;

/**
 * What readlog says of the cluster, from both threads: one line when it is lost, one when it is
 * back (with what went out and came in meanwhile), and the entries it ignored, at most one line a
 * second with a count of those not shown.
 */
final class Health {

    private final String where;
    private final Consumer<String> log;
    private boolean lost;
    private long lostAt;
    private boolean senderOk = true;
    private boolean followerOk;
    private long sentSince;
    private long receivedSince;
    private long ignored;
    private long ignoredShown;
    private long lastIgnoredLine;

    Health(String where, Consumer<String> log) {
        this.where = where;
        this.log = log;
    }

    synchronized void down(RuntimeException e, int waiting) {
        if (!lost) {
            lost = true;
            lostAt = System.nanoTime();
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

    synchronized void ignoredEntry(String id, String why) {
        ignored++;
        long now = System.nanoTime();
        if (ignoredShown == 0 || now - lastIgnoredLine > 1_000_000_000L) {
            long notShown = ignored - ignoredShown - 1;
            log.accept("cluster: ignoring stream entry " + id + ": " + why + (notShown > 0 ? " (and " + notShown + " more not shown)" : ""));
            ignoredShown = ignored;
            lastIgnoredLine = now;
        }
    }

    synchronized long ignored() {
        return ignored;
    }
}
