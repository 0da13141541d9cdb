package org.poplock.readlog.listen;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The connection caps of a listener: at most {@code total} at once and {@code perAddress} from
 * one client address (a unix socket's clients have none). Past either, the newcomer is taken and
 * the one of them waiting longest is closed: a flood of idle clients cannot lock out the real
 * ones, which send their request at once. Shared by a loop's threads: a client closed to make
 * room may be another thread's (closing a channel is safe from any thread).
 */
final class Admission {

    /** How a listener words its caps: the per-address one's option, if an admin can change it. */
    record Caps(int total, int perAddress, String perAddressOption) {
    }

    private final Caps caps;
    private final BiConsumer<String, String> trouble;
    private final Set<Connection> all = new LinkedHashSet<>();
    private final Map<InetAddress, List<Connection>> byAddress = new HashMap<>();

    Admission(Caps caps, BiConsumer<String, String> trouble) {
        this.caps = caps;
        this.trouble = trouble;
    }

    /** Makes room for a newcomer and counts it. */
    synchronized void admit(Connection c) {
        makeRoom(c.remote());
        all.add(c);
        if (c.remote() != null) {
            byAddress.computeIfAbsent(c.remote(), a -> new ArrayList<>()).add(c);
        }
    }

    /** Makes room for a newcomer from {@code remote} (null: a unix socket's). */
    private void makeRoom(InetAddress remote) {
        if (remote != null) {
            var same = byAddress.get(remote);
            if (same != null && same.size() >= caps.perAddress()) {
                trouble.accept("too many from one", "more than " + caps.perAddress() + " connections from " + remote.getHostAddress()
                        + (caps.perAddressOption() == null ? "" : " (" + caps.perAddressOption() + ")")
                        + "; closing the one of them waiting longest");
                longestWaiting(same).close();
                return;
            }
        }
        if (all.size() >= caps.total()) {
            trouble.accept("too many", "more than " + caps.total() + " connections at once; closing the one waiting longest");
            longestWaiting(all).close();
        }
    }

    synchronized void remove(Connection c) {
        all.remove(c);
        var same = c.remote() == null ? null : byAddress.get(c.remote());
        if (same != null) {
            same.remove(c);
            if (same.isEmpty()) {
                byAddress.remove(c.remote());
            }
        }
    }

    synchronized int size() {
        return all.size();
    }

    synchronized List<Connection> all() {
        return List.copyOf(all);
    }

    private static Connection longestWaiting(Collection<Connection> among) {
        Connection oldest = null;
        for (var c : among) {
            if (oldest == null || c.since() < oldest.since()) {
                oldest = c;
            }
        }
        return oldest;
    }
}
