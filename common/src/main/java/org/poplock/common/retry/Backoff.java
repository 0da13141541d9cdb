package org.poplock.common.retry;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before trying again what failed: a quarter second, doubling at each failure
 * to 30 seconds, each wait up to a quarter longer at random, so that what failed together (every
 * host of a cluster when Redis went away) does not come back in the same instant.
 */
public final class Backoff {

    public static final long FIRST_MILLIS = 250;
    public static final long MAX_MILLIS = 30_000;

    private long step = FIRST_MILLIS;

    /** The wait before the next try; the one after it is twice as long (at most {@link #MAX_MILLIS}, before its jitter). */
    public long next() {
        long wait = step + ThreadLocalRandom.current().nextLong(step / 4 + 1);
        step = Math.min(step * 2, MAX_MILLIS);
        return wait;
    }

    /** Sleeps {@link #next()}; an interrupt ends the sleep and stays set for the caller to see. */
    public void pause() {
        try {
            Thread.sleep(next());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts over at {@link #FIRST_MILLIS}: what was retried has worked (for long enough). */
    public void reset() {
        step = FIRST_MILLIS;
    }
}
