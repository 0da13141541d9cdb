package org.poplock.readlog.state;

import java.util.Arrays;

/**
 * The addresses in order of expiry, so that a sweep costs what expired, not the table: a binary
 * heap of (expiry, address) in two arrays. A renewed or removed entry leaves its old item behind;
 * the sweep checks each item it takes against the table and skips stale ones, and the heap is
 * rebuilt from the table when stale items outnumber the live ones. Without it, at a million
 * entries each expiring in its own second, every round swept the whole table.
 */
final class ExpiryQueue {

    private long[] expiries = new long[1024];
    private String[] ips = new String[1024];
    private int size;

    void add(String ip, long expiryMillis) {
        if (size == expiries.length) {
            expiries = Arrays.copyOf(expiries, size * 2);
            ips = Arrays.copyOf(ips, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (expiries[parent] <= expiryMillis) {
                break;
            }
            expiries[i] = expiries[parent];
            ips[i] = ips[parent];
            i = parent;
        }
        expiries[i] = expiryMillis;
        ips[i] = ip;
    }

    /** The earliest expiry in the queue (possibly of a stale item: never later than the truth), or {@link Long#MAX_VALUE}. */
    long earliest() {
        return size == 0 ? Long.MAX_VALUE : expiries[0];
    }

    /** Takes the earliest item and returns its address (its expiry was {@link #earliest()}). */
    String take() {
        var ip = ips[0];
        size--;
        long lastExpiry = expiries[size];
        var lastIp = ips[size];
        ips[size] = null;
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && expiries[child + 1] < expiries[child]) {
                child++;
            }
            if (expiries[child] >= lastExpiry) {
                break;
            }
            expiries[i] = expiries[child];
            ips[i] = ips[child];
            i = child;
        }
        if (size > 0) {
            expiries[i] = lastExpiry;
            ips[i] = lastIp;
        }
        return ip;
    }

    int size() {
        return size;
    }

    void clear() {
        Arrays.fill(ips, 0, size, null);
        size = 0;
    }
}
