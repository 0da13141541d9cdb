package org.poplock.readlog.tcprules;

import java.io.IOException;
import java.time.Instant;
import java.util.function.Consumer;
import org.poplock.readlog.state.Grants;
import org.poplock.readlog.state.Output;

/**
 * The tcprules CDB following the grants, written after the database and failing on its own: a
 * failure is one line per cause (and one when it works again), retried every few seconds rather
 * than every round, and never holds back the database.
 */
public final class CdbOutput implements Output {

    private static final long RETRY_NANOS = 5_000_000_000L;

    private final TcpRules tcpRules;
    private final Grants grants;
    private final Consumer<String> log;
    /** The CDB has not been written since the grants last changed. */
    private boolean behind;
    private String failure;
    private long retry;

    public CdbOutput(TcpRules tcpRules, Grants grants, Consumer<String> log) {
        this.tcpRules = tcpRules;
        this.grants = grants;
        this.log = log;
    }

    /** Catches up with the grants, when it is behind and not waiting to retry a failure. */
    @Override
    public void published(Instant now, boolean changed) {
        behind |= changed;
        if (!behind || failure != null && System.nanoTime() - retry < 0) {
            return;
        }
        try {
            tcpRules.write(grants.live(now), "readlog");
            behind = false;
            if (failure != null) {
                log.accept("wrote " + tcpRules.cdb() + " again");
                failure = null;
            }
        } catch (IOException | RuntimeException e) {
            if (!e.getMessage().equals(failure)) {
                log.accept("cannot write " + tcpRules.cdb() + ": " + e.getMessage() + "; tcpserver keeps the last one, tried again every "
                        + RETRY_NANOS / 1_000_000_000L + "s; the database is published as always");
            }
            failure = e.getMessage();
            retry = System.nanoTime() + RETRY_NANOS;
        }
    }

    @Override
    public String problem() {
        return failure == null ? null : "cannot write the tcprules CDB: " + failure;
    }
}
