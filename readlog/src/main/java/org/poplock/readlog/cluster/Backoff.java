package org.poplock.readlog.cluster;

import java.util.concurrent.ThreadLocalRandom;

/** The wait before a thread of the link tries Redis again: a quarter second with jitter, doubling to 30 s, anew after a success. */
final class Backoff {

    private static final long MIN_MILLIS = 250;
    private static final long MAX_MILLIS = 30_000;
    private long next = MIN_MILLIS;

    void reset() {
        next = MIN_MILLIS;
    }

    /** Sleeps the current wait (its interrupt kept for the caller to see), and doubles the next. */
    void pause() {
        long jittered = next + ThreadLocalRandom.current().nextLong(next / 4 + 1);
        try {
            Thread.sleep(jittered);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        next = Math.min(MAX_MILLIS, next * 2);
    }
}
