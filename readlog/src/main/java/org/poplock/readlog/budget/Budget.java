package org.poplock.readlog.budget;

import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.poplock.common.store.BudgetUsage;
import org.poplock.readlog.Troubles;

/**
 * How many recipients a grant (an address with a live grant) and the user who earned it may relay
 * in one window (an hour unless told), counted from the policy service's RCPT requests; a message
 * is counted when a request's {@code instance} differs from the last one of that grant. Within
 * budget the policy service answers as usual; over it, {@link #check} gives a temporary refusal,
 * so a real user's mail waits in their client rather than bounces.
 *
 * <p>Windows are fixed (the epoch cut into windows), as Redis counts them: {@code INCR} on a key
 * named by the window, expiring with it. Memory: one tally per address that was granted and asked
 * in this or the last window, and one per user of those; tallies of older windows are swept once
 * a window, so at most twice the live grants that send mail (about 100 bytes each).
 *
 * <p>In a cluster the counts come from the {@link SharedCounts}, one across every SMTP host; when
 * they fail, this host counts alone (its own tallies, kept all along) for {@link #RETRY_MILLIS},
 * says so in one line, and says so again when the shared counts answer again.
 */
public final class Budget implements AutoCloseable {

    /** Recipients per grant and per user in one window; 0 is no limit. */
    public record Limits(int perGrant, int perUser, Duration window) {

        public Limits {
            if (perGrant < 0 || perUser < 0) {
                throw new IllegalArgumentException("--budget-recipients-per-grant and --budget-recipients-per-user must be 0 (no limit) or more");
            }
            if (window.toMillis() < 1000) {
                throw new IllegalArgumentException("--budget-window must be 1s or longer");
            }
        }

        public boolean on() {
            return perGrant > 0 || perUser > 0;
        }
    }

    /** Counters one across every SMTP host. */
    public interface SharedCounts extends AutoCloseable {
        /** Adds one to each key and gives their counts; each key expires after {@code ttlMillis}. Throws RuntimeException when it cannot. */
        long[] increment(List<String> keys, long ttlMillis);

        @Override
        void close();
    }

    /** After shared counts failed, how long this host counts alone before it asks them again. */
    static final long RETRY_MILLIS = 5_000;

    private final Limits limits;
    private final long windowMillis;
    private final SharedCounts shared;
    private final Troubles troubles;
    /** By address, and by user: two maps, so a request builds no key. */
    private final ConcurrentHashMap<String, Tally> byAddress = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Tally> byUser = new ConcurrentHashMap<>();
    private final LongAdder deferred = new LongAdder();
    private final LongAdder counted = new LongAdder();
    private volatile long sweptWindow;
    private volatile long aloneUntil;
    private volatile boolean alone;

    /** {@code shared} null: this host counts alone. */
    public Budget(Limits limits, SharedCounts shared, Consumer<String> log) {
        this.limits = limits;
        this.windowMillis = limits.window().toMillis();
        this.shared = shared;
        this.troubles = new Troubles("budget: ", log);
    }

    /**
     * One recipient's count, mutable under its own lock: the window it counts, recipients and
     * messages in it, and in a cluster the count Redis last gave for it.
     */
    private static final class Tally {
        long window;
        long recipients;
        long messages;
        long cluster;
        String lastInstance;

        synchronized long add(long now, String instance) {
            if (window != now) {
                window = now;
                recipients = 0;
                messages = 0;
                cluster = 0;
                lastInstance = null;
            }
            if (instance == null || !instance.equals(lastInstance)) {
                messages++;
                lastInstance = instance;
            }
            return ++recipients;
        }

        synchronized long messages() {
            return messages;
        }

        synchronized void cluster(long window, long count) {
            if (this.window == window && count > cluster) {
                cluster = count;
            }
        }

        /** The recipients of {@code window} as every host counts them (this host's when Redis gave none larger), or -1 for another window. */
        synchronized long recipientsIn(long window) {
            return this.window == window ? Math.max(recipients, cluster) : -1;
        }
    }

    /**
     * A request from {@code ip}, which has a live grant earned by {@code user} (null when not known):
     * null when it is within budget (or no RCPT: only those count), else the action to answer with.
     * {@code state} is the request's protocol_state (null when the client sends none, as Exim's
     * readsocket: then every request is a recipient).
     */
    public String check(String ip, String user, String state, String instance, long nowMillis) {
        if (state != null && !state.equals("RCPT")) {
            return null;
        }
        long window = Math.floorDiv(nowMillis, windowMillis);
        sweep(window);
        var grant = tally(byAddress, ip);
        long byGrant = grant.add(window, instance);
        boolean perUser = limits.perUser() > 0 && user != null;
        var ofUser = perUser ? tally(byUser, user) : null;
        long userCount = perUser ? ofUser.add(window, instance) : 0;
        if (shared != null && nowMillis >= aloneUntil) {
            var keys = perUser ? List.of("g:" + ip + ":" + window, "u:" + user + ":" + window) : List.of("g:" + ip + ":" + window);
            try {
                var counts = shared.increment(keys, 2 * windowMillis);
                byGrant = counts[0];
                grant.cluster(window, byGrant);
                userCount = perUser ? counts[1] : 0;
                if (perUser) {
                    ofUser.cluster(window, userCount);
                }
                if (alone) {
                    alone = false;
                    troubles.say("shared back", "the cluster's counts answer again; budgets are one across every host");
                }
            } catch (RuntimeException e) {
                aloneUntil = nowMillis + RETRY_MILLIS;
                alone = true;
                troubles.say("shared down", "the cluster's counts do not answer (" + e.getMessage()
                        + "); each host counts its own recipients until they do");
            }
        }
        // Counted once the tallies hold it: the publisher of the usage takes an unchanged count for unchanged tallies.
        counted.increment();
        String over = null;
        if (limits.perGrant() > 0 && byGrant > limits.perGrant()) {
            over = byGrant == limits.perGrant() + 1 ? ip + (user == null ? "" : " (" + user + ")") + " is over its budget of "
                    + limits.perGrant() + " recipients per " + windowText() + " (" + grant.messages() + (grant.messages() == 1 ? " message" : " messages")
                    + "); deferring the rest" : "";
        } else if (perUser && userCount > limits.perUser()) {
            over = userCount == limits.perUser() + 1 ? "user " + user + " (now at " + ip + ") is over the budget of " + limits.perUser()
                    + " recipients per " + windowText() + " across their addresses; deferring the rest" : "";
        }
        if (over == null) {
            return null;
        }
        deferred.increment();
        if (!over.isEmpty()) { // the request that crossed the line: one line per grant or user and window, rate-limited in all
            troubles.say("over", over);
        }
        return "DEFER_IF_REJECT 4.7.1 Recipient budget of this login used up, try again later";
    }

    /** The tally of {@code key}, made when there is none: a lookup alone in the common case. */
    private static Tally tally(ConcurrentHashMap<String, Tally> map, String key) {
        var t = map.get(key);
        return t != null ? t : map.computeIfAbsent(key, k -> new Tally());
    }

    private String windowText() {
        return limits.window().equals(Duration.ofHours(1)) ? "hour" : limits.window().toSeconds() + " s";
    }

    /** Once a window, the tallies of windows before the last go. */
    private void sweep(long window) {
        if (window <= sweptWindow) {
            return;
        }
        sweptWindow = window;
        for (var map : List.of(byAddress, byUser)) {
            map.values().removeIf(t -> {
                synchronized (t) {
                    return t.window < window - 1;
                }
            });
        }
    }

    /**
     * What each address and user relayed in the window that holds {@code nowMillis}, for showallowed;
     * in a cluster the larger of this host's count and the cluster's last one. It costs a pass over
     * the tallies: {@link #counted} tells a caller whether anything changed since its last one.
     */
    public BudgetUsage usage(long nowMillis) {
        long window = Math.floorDiv(nowMillis, windowMillis);
        var grants = new TreeMap<String, BudgetUsage.Grant>();
        byAddress.forEach((ip, t) -> {
            long n;
            long messages;
            synchronized (t) {
                n = t.recipientsIn(window);
                messages = t.messages;
            }
            if (n > 0) {
                grants.put(ip, new BudgetUsage.Grant(n, messages));
            }
        });
        var users = new TreeMap<String, Long>();
        byUser.forEach((user, t) -> {
            long n = t.recipientsIn(window);
            if (n > 0) {
                users.put(user, n);
            }
        });
        return new BudgetUsage(limits.perGrant(), limits.perUser(), windowMillis, (window + 1) * windowMillis, grants, users);
    }

    /** The window that holds {@code nowMillis}, as a number: a new one starts every count afresh. */
    public long windowAt(long nowMillis) {
        return Math.floorDiv(nowMillis, windowMillis);
    }

    /** Whether users are counted: else the caller need not find a grant's user. */
    public boolean perUser() {
        return limits.perUser() > 0;
    }

    /** Recipients counted (RCPT requests of granted clients) and refused for a budget: for the metrics. */
    public long counted() {
        return counted.sum();
    }

    public long deferred() {
        return deferred.sum();
    }

    /** Tallies held now: the memory bound's measure. */
    int tallies() {
        return byAddress.size() + byUser.size();
    }

    @Override
    public void close() {
        if (shared != null) {
            shared.close();
        }
    }
}
