package org.poplock.common.store;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The budgets' current window as readlog publishes it for showallowed: the limits (0: none), the
 * window's length and end (epoch milliseconds), and what each granted address (recipients,
 * messages) and each user (recipients) relayed in it. An address or user that sent nothing is not
 * held: showallowed shows it as 0 of the limit. In a cluster a count is the cluster's, as Redis
 * last gave it.
 */
public record BudgetUsage(int perGrant, int perUser, long windowMillis, long windowEnd,
        SortedMap<String, Grant> grants, SortedMap<String, Long> users) {

    /** What one granted address relayed in the window. */
    public record Grant(long recipients, long messages) {
    }

    /** Budgets off: nothing published. */
    public static final BudgetUsage OFF = new BudgetUsage(0, 0, 0, 0, new TreeMap<>(), new TreeMap<>());

    public BudgetUsage {
        grants = Collections.unmodifiableSortedMap(new TreeMap<>(grants));
        users = Collections.unmodifiableSortedMap(new TreeMap<>(users));
    }

    public boolean on() {
        return perGrant > 0 || perUser > 0;
    }

    /** The end of the window that holds {@code nowMillis}: this one's, or a later one's when it has ended. */
    public long endAt(long nowMillis) {
        return nowMillis < windowEnd ? windowEnd : windowEnd + ((nowMillis - windowEnd) / windowMillis + 1) * windowMillis;
    }

    /** What {@code ip} relayed in the window that holds {@code nowMillis}: none once the published window has ended. */
    public Grant grant(String ip, long nowMillis) {
        var g = nowMillis < windowEnd ? grants.get(ip) : null;
        return g == null ? new Grant(0, 0) : g;
    }

    /** What {@code user} relayed in the window that holds {@code nowMillis}. */
    public long user(String user, long nowMillis) {
        var n = nowMillis < windowEnd ? users.get(user) : null;
        return n == null ? 0 : n;
    }
}
