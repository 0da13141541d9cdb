package org.poplock.readlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A thread's work that fails is said, reported to /health while it lasts, and started again; the lines are rate-limited. */
class SupervisorTest {

    private final List<String> said = new ArrayList<>();
    private final AtomicLong nanos = new AtomicLong();
    private final Supervisor supervisor = new Supervisor(said::add, nanos::get);

    @Test
    void failingWorkIsStartedAgainSaidOnceAndReportedUntilItHasRunLongEnough() {
        var runs = new AtomicInteger();
        var seen = new ArrayList<String>();
        supervisor.supervise("read journal", () -> {
            seen.add(supervisor.problem());
            switch (runs.incrementAndGet()) {
                case 1 -> throw new NumberFormatException("For input string: \"9999999999999999999\"\r\u001b[2K");
                case 2 -> throw new StackOverflowError();
                default -> { }
            }
        });
        assertEquals(3, runs.get(), "started again after each failure, until the work returned");
        assertNull(seen.get(0));
        assertEquals("read journal failed: NumberFormatException \"For input string: \\\"9999999999999999999\\\"\\x0d\\x1b[2K\"", seen.get(1));
        assertEquals("read journal failed: StackOverflowError", seen.get(2));
        assertEquals(1, said.size(), "one line a minute: " + said);
        assertTrue(said.get(0).matches("read journal failed: NumberFormatException .*; starting it again in \\d+ ms"), said.get(0));
        assertEquals("read journal failed: StackOverflowError", supervisor.problem(), "until it has run long enough");
        nanos.addAndGet(Supervisor.HEALTHY_AFTER_NANOS);
        assertNull(supervisor.problem());
    }

    @Test
    void troublesSayEachKindOnceAMinuteWithHowManyWereNotShown() {
        var troubles = new Troubles("policy: ", said::add, nanos::get);
        troubles.say("cut", "a client went away");
        troubles.say("cut", "a client went away");
        troubles.say("long line", "a client sent a long line");
        nanos.addAndGet(61_000_000_000L);
        troubles.say("cut", "a client went away");
        assertEquals(List.of("policy: a client went away", "policy: a client sent a long line",
                "policy: a client went away (1 more of these since the last line)"), said);
    }

    @Test
    void aLastingStateIsSaidOnceWhileItLastsAndAgainAfterItIsOver() {
        var said = new ArrayList<String>();
        var troubles = new Troubles("", said::add);
        troubles.sayOnChange("problem", "log: does not exist (yet); waiting for it");
        troubles.sayOnChange("problem", "log: does not exist (yet); waiting for it");
        troubles.sayOnChange("problem", "log: is a directory, not a log file");
        troubles.sayOnChange("problem", "log: does not exist (yet); waiting for it");
        troubles.over("problem");
        troubles.sayOnChange("problem", "log: does not exist (yet); waiting for it");
        assertEquals(List.of("log: does not exist (yet); waiting for it", "log: is a directory, not a log file",
                "log: does not exist (yet); waiting for it", "log: does not exist (yet); waiting for it"), said);
    }
}
