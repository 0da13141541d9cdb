package org.poplock.readlog.abuse;

import java.util.Arrays;

/**
 * The users seen from one network lately (almost every user), as two arrays: a 64-bit hash of the
 * user's name and, packed in one long, a 32-bit hash of the network and the login's second. About
 * 20 bytes a user where a map of names cost over 100 (a million users' names alone are 56 MB
 * beside the grants, which keep theirs encoded). Two users share a slot only when their 64-bit
 * hashes meet (about once in 10^7 at a million users), and two networks of one user count as one
 * only when their 32-bit hashes meet: the count errs low, never flags anyone wrongly.
 * Open addressing with linear probing; a removed slot keeps its key with the value 0 until the next
 * sweep rebuilds the table. On the daemon's thread only.
 */
final class OneNetwork {

    private long[] keys = new long[1024];
    private long[] values = new long[1024];
    /** Slots holding a key, removed ones included. */
    private int used;

    /** The user's name as a key: FNV-1a over its characters, never 0 (0 marks an empty slot). */
    static long key(String user) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < user.length(); i++) {
            h = (h ^ user.charAt(i)) * 0x100000001b3L;
        }
        return h == 0 ? 1 : h;
    }

    /** A network and a login's second as one value, never 0. */
    static long pack(int network, long millis) {
        return (long) network << 32 | Math.max(1, millis / 1000) & 0xffffffffL;
    }

    static int network(long value) {
        return (int) (value >>> 32);
    }

    static long millis(long value) {
        return (value & 0xffffffffL) * 1000;
    }

    /** The value of {@code key}, or 0. */
    long get(long key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); keys[i] != 0; i = i + 1 & mask) {
            if (keys[i] == key) {
                return values[i];
            }
        }
        return 0;
    }

    void put(long key, long value) {
        int mask = keys.length - 1;
        int i = slot(key, mask);
        while (keys[i] != 0 && keys[i] != key) {
            i = i + 1 & mask;
        }
        if (keys[i] == 0) {
            keys[i] = key;
            used++;
        }
        values[i] = value;
        if (used * 4L > keys.length * 3L) {
            rebuild(Long.MIN_VALUE, keys.length * 2);
        }
    }

    void remove(long key) {
        if (get(key) != 0) {
            put(key, 0);
        }
    }

    int size() {
        return used;
    }

    /** Drops removed slots and logins at or before {@code beforeMillis}. */
    void sweep(long beforeMillis) {
        int live = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0 && values[i] != 0 && millis(values[i]) > beforeMillis) {
                live++;
            }
        }
        int size = 1024;
        while (size * 3L < live * 4L + 4) {
            size *= 2;
        }
        rebuild(beforeMillis, size);
    }

    private void rebuild(long beforeMillis, int size) {
        var oldKeys = keys;
        var oldValues = values;
        keys = new long[size];
        values = new long[size];
        used = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0 && oldValues[i] != 0 && millis(oldValues[i]) > beforeMillis) {
                put(oldKeys[i], oldValues[i]);
            }
        }
        Arrays.fill(oldKeys, 0);
    }

    private static int slot(long key, int mask) {
        return (int) (key ^ key >>> 29) & mask;
    }
}
