package org.poplock.readlog.blast;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.Consumer;
import org.poplock.common.store.BlastTable;
import org.poplock.common.store.BudgetUsage;
import org.poplock.readlog.budget.Budget;
import org.poplock.readlog.state.Output;

/**
 * Publishes what showallowed shows of the blast radius (the shared addresses with their users, the
 * flagged users) and, with budgets on, what each grant and user relayed in the budgets' window,
 * beside the database: looked at after a round that changed the grants and once a second, written
 * only when it changed. showallowed reads
 * that file, never readlog's state; with nothing to show there is no file. A failed write is one
 * line and retried on the next round.
 */
public final class BlastPublisher implements Output {

    private final BlastRadius blast;
    /** The policy service's budgets; null when they are off. */
    private final Budget budget;
    private final Path file;
    private final String group;
    private final Consumer<String> log;
    /** What the file holds; null: not written by this readlog yet (an old one may be left). */
    private BlastTable written;
    private String failing;
    /**
     * Users and flags age without a login, counts change without a round's change: all looked at
     * once a second, and at once after a round that changed the grants (a new shared address or flag).
     */
    private static final long EVERY_NANOS = 1_000_000_000L;
    private long due = System.nanoTime();
    /** No look before this, whatever changed: a costly write (a large usage) is not repeated every round. */
    private long earliest = System.nanoTime();
    /**
     * The budgets' usage is taken again at most this often: a pass over every sending grant's count
     * and a write of them all, on the daemon's thread, which a busy site (every second a new count)
     * would otherwise pay every second (measured: a tenth of the policy service's throughput).
     */
    static final long USAGE_EVERY_MILLIS = 5_000;
    /** The last usage taken, with the budget's count, window and time it was taken at: taken again only when one moved. */
    private BudgetUsage usage = BudgetUsage.OFF;
    private long usageCounted = -1;
    private long usageWindow;
    private long usageTaken;

    /** {@code budget}: null when budgets are off; {@code group}: who besides root may read the file (--db-group; null: readlog's own). */
    public BlastPublisher(BlastRadius blast, Budget budget, Path file, String group, Consumer<String> log) {
        this.blast = blast;
        this.budget = budget;
        this.file = file;
        this.group = group;
        this.log = log;
    }

    @Override
    public void published(Instant now, boolean changed) {
        long start = System.nanoTime();
        if (written != null && (!changed && start - due < 0 || start - earliest < 0)) {
            return;
        }
        due = start + EVERY_NANOS;
        var table = BlastTable.of(blast.sharedNow(now), blast.flagged(now), usage(now.toEpochMilli()));
        if (table.equals(written)) {
            return;
        }
        try {
            if (table.isEmpty()) {
                Files.deleteIfExists(file); // nothing to show is no file: a site without shared addresses or flags never writes one
            } else {
                table.write(file, "rw-r-----", group);
            }
            written = table;
            if (failing != null) {
                log.accept("published " + file + " again");
                failing = null;
            }
        } catch (IOException | RuntimeException e) {
            if (failing == null) {
                failing = e.getMessage();
                log.accept("cannot publish " + file + ": " + e.getMessage() + "; showallowed shows the last published shared addresses and flags");
            }
        }
        // Written on the daemon's thread: a large table (the usage of 100,000 sending grants costs
        // some 300 ms) waits ten times its cost for the next look, so logins keep 90 % of the thread.
        long cost = System.nanoTime() - start;
        earliest = start + 10 * cost;
        due = start + Math.max(EVERY_NANOS, 10 * cost);
    }

    /**
     * The budgets' usage now: the one taken before (the same object, so comparing the table costs
     * nothing) while the window is the same and no recipient was counted or it is younger than
     * {@link #USAGE_EVERY_MILLIS}; else a new pass over the counts.
     */
    private BudgetUsage usage(long nowMillis) {
        if (budget == null) {
            return BudgetUsage.OFF;
        }
        long counted = budget.counted();
        long window = budget.windowAt(nowMillis);
        if (window != usageWindow || counted != usageCounted && nowMillis - usageTaken >= USAGE_EVERY_MILLIS) {
            usage = budget.usage(nowMillis);
            usageCounted = counted;
            usageWindow = window;
            usageTaken = nowMillis;
        }
        return usage;
    }
}
