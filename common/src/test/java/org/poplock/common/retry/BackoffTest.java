package org.poplock.common.retry;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static void assertWithin(long wait, long step) {
        assertTrue(wait >= step && wait <= step + step / 4, wait + " ms for a step of " + step);
    }

    @Test
    void doublesFromAQuarterSecondTo30SecondsEachUpToAQuarterLonger() {
        var backoff = new Backoff();
        long step = 250;
        for (int i = 0; i < 12; i++) {
            assertWithin(backoff.next(), step);
            step = Math.min(step * 2, 30_000);
        }
        assertWithin(backoff.next(), 30_000);
    }

    @Test
    void startsOverWhenReset() {
        var backoff = new Backoff();
        backoff.next();
        backoff.next();
        backoff.reset();
        assertWithin(backoff.next(), 250);
    }

    @Test
    void theJitterSpreadsWaits() {
        var seen = new HashSet<Long>();
        for (int i = 0; i < 50; i++) {
            var backoff = new Backoff();
            backoff.next();
            backoff.next();
            seen.add(backoff.next());
        }
        assertTrue(seen.size() > 10, "50 waits of a 1 s step took only " + seen);
    }
}
