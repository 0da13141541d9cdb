package org.poplock.readlog;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.poplock.common.address.Printable;
import org.poplock.common.retry.Backoff;

/**
 * The top-level handler of every thread readlog starts for itself (a FIFO's reader, the journal's,
 * the cluster's sender and follower): a failure nobody expected costs one line (rate-limited with
 * {@link Troubles}), a restart of the thread's work after a backoff (a quarter second, doubling to
 * 30 s), and {@link #problem} reports it to /health from the failure until the work has run again
 * for {@link #HEALTHY_AFTER_NANOS} without failing. No thread of readlog ends without a word.
 */
public final class Supervisor {

    /** A thread's work: returns when it is done for good (its source closed); anything it throws is a failure. */
    @FunctionalInterface
    public interface Work {
        void run() throws Exception;
    }

    /** Work restarted runs this long without failing before /health stops naming it, and before its backoff starts over. */
    static final long HEALTHY_AFTER_NANOS = 10_000_000_000L;

    /** What failed last in a thread, whether its work was started again since, and when. */
    private record Failure(String why, boolean restarted, long restartedAt) {
    }

    private final Troubles troubles;
    private final LongSupplier nanoClock;
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();

    public Supervisor(Consumer<String> log) {
        this(log, System::nanoTime);
    }

    Supervisor(Consumer<String> log, LongSupplier nanoClock) {
        this.troubles = new Troubles("", log, nanoClock);
        this.nanoClock = nanoClock;
    }

    /** A daemon thread named {@code name} running {@code work} under this supervisor; started. */
    public Thread start(String name, Work work) {
        var t = new Thread(() -> supervise(name, work), name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Runs {@code work} until it returns or its thread is interrupted, again after each failure. */
    void supervise(String name, Work work) {
        var backoff = new Backoff();
        while (!Thread.currentThread().isInterrupted()) {
            long started = nanoClock.getAsLong();
            try {
                work.run();
                return;
            } catch (InterruptedException e) {
                return;
            } catch (Throwable e) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                if (nanoClock.getAsLong() - started >= HEALTHY_AFTER_NANOS) {
                    backoff.reset();
                }
                long wait = backoff.next();
                var why = reason(e);
                failures.put(name, new Failure(why, false, 0));
                troubles.say(name, name + " failed: " + why + "; starting it again in " + wait + " ms");
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException stop) {
                    return;
                }
                failures.computeIfPresent(name, (n, f) -> new Failure(f.why(), true, nanoClock.getAsLong()));
            }
        }
    }

    /** A thread whose work failed and has not run long enough since, with why; null when there is none. */
    public String problem() {
        long now = nanoClock.getAsLong();
        failures.entrySet().removeIf(e -> e.getValue().restarted() && now - e.getValue().restartedAt() >= HEALTHY_AFTER_NANOS);
        return failures.entrySet().stream().sorted(Map.Entry.comparingByKey()).findFirst()
                .map(e -> e.getKey() + " failed: " + e.getValue().why()).orElse(null);
    }

    /** What went wrong, in one line: the exception's kind and its message (quoted: it may hold input). */
    public static String reason(Throwable e) {
        var message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : " " + Printable.of(message));
    }
}
