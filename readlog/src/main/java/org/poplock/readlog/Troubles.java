package org.poplock.readlog;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The one rate limit on what readlog says about trouble: one line per kind at most once a minute,
 * with how many were not shown. Bad input (a listener's client, a stream entry, a log line that
 * could not be handled) and failing threads come as fast as an attacker or a fault likes; the log
 * must not. A state that lasts (a log that does not exist yet) is said once while it lasts
 * ({@link #sayOnChange}): it is seen on every poll, and nothing new is learnt from a repeat.
 */
public final class Troubles {

    private static final long MINUTE_NANOS = 60_000_000_000L;
    /** Kinds remembered at most: a kind per client address (say) must not grow without end; past it, the quiet ones go. */
    static final int MOST_KINDS = 10_000;

    private final String prefix;
    private final Consumer<String> log;
    private final LongSupplier nanoClock;
    private final Map<String, long[]> kinds = new HashMap<>();
    /** The last line {@link #sayOnChange} said per kind, until {@link #over}. */
    private final Map<String, String> lasting = new HashMap<>();

    /** {@code prefix} names the listener or source ("policy: "). */
    public Troubles(String prefix, Consumer<String> log) {
        this(prefix, log, System::nanoTime);
    }

    /** With the clock ({@link System#nanoTime}'s kind) the minute is measured on. */
    public Troubles(String prefix, Consumer<String> log, LongSupplier nanoClock) {
        this.prefix = prefix;
        this.log = log;
        this.nanoClock = nanoClock;
    }

    public synchronized void say(String kind, String line) {
        long now = nanoClock.getAsLong();
        if (kinds.size() >= MOST_KINDS && !kinds.containsKey(kind)) {
            kinds.values().removeIf(k -> now - k[0] > MINUTE_NANOS && k[1] == 0);
        }
        var k = kinds.computeIfAbsent(kind, x -> new long[] {Long.MIN_VALUE, 0});
        if (k[0] == Long.MIN_VALUE || now - k[0] > MINUTE_NANOS) {
            log.accept(prefix + line + (k[1] > 0 ? " (" + k[1] + " more of these since the last line)" : ""));
            k[0] = now;
            k[1] = 0;
        } else {
            k[1]++;
        }
    }

    /**
     * Says {@code line} unless it is the last line said under {@code kind} since that kind was
     * {@link #over}. For the few fixed kinds of a source's lasting states, not for bad input: a
     * line that changes every time is said every time.
     */
    public synchronized void sayOnChange(String kind, String line) {
        if (!line.equals(lasting.put(kind, line))) {
            log.accept(prefix + line);
        }
    }

    /** {@code kind}'s lasting state has ended: its next line is said even if it repeats the last. */
    public synchronized void over(String kind) {
        lasting.remove(kind);
    }
}
