package org.poplock.readlog.abuse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.poplock.common.address.IpAddress;

/**
 * Users whose password looks stolen: logins from more than {@code mostNetworks} distinct networks
 * (a /24 for IPv4, a /48 for IPv6: a user's own addresses change within one, a botnet's do not)
 * within {@link #WINDOW_MILLIS}. Such a user is flagged for {@code flagMillis} (or until the admin
 * lifts it). Counted on the daemon's thread; the flags are read from any thread.
 */
public final class Flags {

    static final long WINDOW_MILLIS = 3_600_000L;

    /** One network a user logged in from, and when last. */
    private record Net(long network, long millis) {
    }

    private final int mostNetworks;
    private final long flagMillis;
    /** The users seen from one network within the window: almost all, kept small. */
    private final OneNetwork one = new OneNetwork();
    /** user → Net[] once the user has logged in from several networks within the window (or Net, down to one again). */
    private final Map<String, Object> recent = new HashMap<>();
    private final ConcurrentHashMap<String, Long> flaggedUntil = new ConcurrentHashMap<>();
    /** When the admin last lifted each user's flag, for a flag from another host that arrives after it; the daemon's thread only. */
    private final Map<String, Long> liftedAt = new HashMap<>();
    /** Lifts remembered at most: the admin's, one at a time. */
    static final int MOST_LIFTED = 10_000;
    private int sinceSweep;

    public Flags(int mostNetworks, long flagMillis) {
        this.mostNetworks = mostNetworks;
        this.flagMillis = flagMillis;
    }

    /** A login of {@code user} from {@code ip} at {@code millis}; true when it makes the user flagged (it was not). */
    public boolean seen(String user, String ip, long millis) {
        var net = new Net(hashed(network(ip)), millis);
        Object now;
        if (recent.containsKey(user)) {
            now = recent.compute(user, (k, old) -> with(old, net));
        } else {
            long key = OneNetwork.key(user);
            long last = one.get(key);
            if (last == 0 || OneNetwork.network(last) == net.network() || OneNetwork.millis(last) <= millis - WINDOW_MILLIS) {
                one.put(key, OneNetwork.pack((int) net.network(), millis));
                now = net;
            } else {
                one.remove(key);
                now = with(new Net(OneNetwork.network(last), OneNetwork.millis(last)), net);
                recent.put(user, now);
            }
        }
        if (++sinceSweep > Math.max(4096, recent.size() + one.size())) {
            sinceSweep = 0;
            recent.values().removeIf(v -> v instanceof Net single ? single.millis() <= millis - WINDOW_MILLIS : false);
            one.sweep(millis - WINDOW_MILLIS);
        }
        int networks = now instanceof Net ? 1 : ((Net[]) now).length;
        if (networks > mostNetworks && !isFlagged(user, millis)) {
            flaggedUntil.put(user, millis + flagMillis);
            return true;
        }
        return false;
    }

    private Object with(Object old, Net net) {
        if (old == null) {
            return net;
        }
        var all = old instanceof Net one ? new Net[] {one} : (Net[]) old;
        var kept = new ArrayList<Net>(all.length + 1);
        for (var n : all) {
            if (n.network() != net.network() && n.millis() > net.millis() - WINDOW_MILLIS) {
                kept.add(n);
            }
        }
        kept.add(net);
        if (kept.size() > mostNetworks + 1) {
            kept.remove(0); // the oldest: enough are kept to tell
        }
        return kept.size() == 1 ? kept.get(0) : kept.toArray(Net[]::new);
    }

    /** A network as the 32 bits kept of it. */
    private static long hashed(long network) {
        long h = network * 0x9E3779B97F4A7C15L;
        return (int) (h ^ h >>> 32);
    }

    /** The network an address counts as: its first 3 bytes for IPv4, its first 6 for IPv6. */
    static long network(String ip) {
        var b = IpAddress.bytesOrNull(ip);
        if (b == null) {
            return ip.hashCode();
        }
        int n = b.length == 4 ? 3 : 6;
        long out = b.length;
        for (int i = 0; i < n; i++) {
            out = out << 8 | (b[i] & 0xff);
        }
        return out;
    }

    /**
     * Another host's flag on {@code user}, made at {@code atMillis}, until {@code untilMillis}, held
     * here no longer than a flag of this host's would be: when the flag is new here, its end, else 0
     * (also when the admin lifted the user's flag after it was made).
     */
    public long flagUntil(String user, long untilMillis, long atMillis, long nowMillis) {
        if (isFlagged(user, nowMillis) || liftedAt.getOrDefault(user, Long.MIN_VALUE) >= atMillis) {
            return 0; // flagged already, or the admin lifted it after it was made (it came late)
        }
        long until = Math.min(untilMillis, nowMillis + flagMillis);
        flaggedUntil.put(user, until);
        return until;
    }

    /** When {@code user}'s flag ends, or 0 when the user has none. */
    public long until(String user) {
        return flaggedUntil.getOrDefault(user, 0L);
    }

    public boolean isFlagged(String user, long nowMillis) {
        var until = flaggedUntil.get(user);
        if (until == null) {
            return false;
        }
        if (until <= nowMillis) {
            flaggedUntil.remove(user, until);
            return false;
        }
        return true;
    }

    /** Flags kept from before a restart: each until its end, unless it has passed at {@code nowMillis}. */
    public void restore(Map<String, Long> flaggedUntil, long nowMillis) {
        flaggedUntil.forEach((user, until) -> {
            if (until > nowMillis) {
                this.flaggedUntil.put(user, until);
            }
        });
    }

    /** The admin lifts a flag at {@code atMillis} (here or on another host); returns whether the user had one. The count starts over. */
    public boolean unflag(String user, long atMillis) {
        recent.remove(user);
        one.remove(OneNetwork.key(user));
        if (liftedAt.size() >= MOST_LIFTED) {
            liftedAt.values().removeIf(at -> at <= atMillis - flagMillis); // a flag older than that has ended anyway
        }
        if (liftedAt.size() < MOST_LIFTED) {
            liftedAt.merge(user, atMillis, Math::max);
        }
        return flaggedUntil.remove(user) != null;
    }

    /** The users flagged at {@code nowMillis}, sorted, with when each flag ends; the flags that ended go. */
    public Map<String, Long> flagged(long nowMillis) {
        flaggedUntil.values().removeIf(until -> until <= nowMillis);
        return new TreeMap<>(flaggedUntil);
    }
}
