package org.poplock.readlog;

import java.util.List;
import org.poplock.readlog.metrics.Metrics;
import org.poplock.readlog.source.Input;
import org.poplock.readlog.state.RelayState;

/**
 * The state committed at a bounded pace with how far each source was read: the entries and the
 * positions of the lines that made them go into the same snapshot. A state that cannot be written
 * is one line, and one when it can again.
 */
final class Checkpoints {

    /** The state is committed at most this often: its fsyncs then cost the publish path nothing. */
    private static final long COMMIT_EVERY_NANOS = 250_000_000L;

    private final RelayState state;
    private final Metrics metrics;
    private final Messages log;
    private long lastCommit;
    /** Lines were read (or entries changed) since the last commit: commit when due, even if the log has gone quiet. */
    private boolean uncommitted;
    private boolean writeFailing;

    Checkpoints(RelayState state, Metrics metrics, Messages log) {
        this.state = state;
        this.metrics = metrics;
        this.log = log;
    }

    /**
     * Commits at most a few times a second, or at once when {@code now} says so (--once, a stop):
     * a crash costs only reading those lines again. A failed state (full disk) is retried on a
     * quiet log too: the state paces the retries.
     */
    void commitIfDue(List<Input> sources, boolean anythingNew, boolean now) {
        uncommitted |= anythingNew;
        boolean due = System.nanoTime() - lastCommit >= COMMIT_EVERY_NANOS || now;
        if ((uncommitted || state.writeFailure() != null) && due) {
            savePositions(sources);
            uncommitted = !state.commit();
            if (!uncommitted) {
                metrics.committed();
            }
            lastCommit = System.nanoTime();
        }
    }

    /** How far each log has been read goes into the state with the entries those lines made. */
    void savePositions(List<Input> sources) {
        for (var source : sources) {
            var p = source.positions();
            if (!p.isEmpty()) {
                state.savePositions(source.name(), p);
            }
            var cursor = source.cursor();
            if (cursor != null) {
                state.saveCursor(source.name(), cursor);
            }
        }
    }

    /** Why the state cannot be saved now, or null; said once when it starts failing and once when it works again. */
    String failure() {
        var failure = state.writeFailure();
        if (failure != null && !writeFailing) {
            log.say("cannot save state: " + failure + "; serving from memory, writing it anew every few seconds until there is room");
        } else if (failure == null && writeFailing) {
            log.say("state saved again");
        }
        writeFailing = failure != null;
        return failure;
    }
}
