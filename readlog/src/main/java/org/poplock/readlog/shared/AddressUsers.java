package org.poplock.readlog.shared;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.poplock.common.store.RelayEntry;

/**
 * The users who logged in from each address lately, with when: written by the daemon's thread,
 * read by the policy service's threads. An address with one user (almost all of them) costs one
 * small record; a shared one keeps its {@link #MOST_PER_ADDRESS} latest users, enough to tell it
 * is shared and to let each of them relay with their own sender. Entries older than the window go
 * in sweeps paid for by the logins that arrive, so nothing outside needs to call a sweep.
 *
 * <p>Made with the address's grant as a {@code lastLogin} lookup, it keeps nothing for an address
 * with one user: the grant already holds that user and the login's time, so only an address with
 * several users costs memory (a million grants would otherwise cost a record each). The lookup
 * reads the grants, which only the daemon's thread may: {@link #users} answers on the daemon's
 * thread only, {@link #usersOfGrant} on any, given the grant's user.
 */
public final class AddressUsers {

    static final int MOST_PER_ADDRESS = 64;

    private record Seen(String user, long millis) {
    }

    /** ip → Seen, or Seen[] when several users logged in from it. */
    private final ConcurrentHashMap<String, Object> byIp = new ConcurrentHashMap<>();
    private final long windowMillis;
    /** The grant of an address (its last login's user and time), or null: every address keeps its users here. */
    private final Function<String, RelayEntry> lastLogin;
    private int sinceSweep;

    /** {@code window}: how long a login counts (the grant's timeout); every address's users kept here. */
    public AddressUsers(long windowMillis) {
        this(windowMillis, null);
    }

    /** As above, an address's one user read from its grant ({@code lastLogin}, null when none) rather than kept. */
    public AddressUsers(long windowMillis, Function<String, RelayEntry> lastLogin) {
        this.windowMillis = windowMillis;
        this.lastLogin = lastLogin;
    }

    /** A login of {@code user} from {@code ip} at {@code millis}; on the daemon's thread only. */
    public void seen(String ip, String user, long millis) {
        if (lastLogin != null && !byIp.containsKey(ip)) {
            var last = lastLogin.apply(ip);
            if (last == null || last.user().equals(user) || last.login().toEpochMilli() <= millis - windowMillis) {
                return; // one user: the grant holds it
            }
            byIp.put(ip, new Seen(last.user(), last.login().toEpochMilli()));
        }
        byIp.compute(ip, (k, old) -> with(old, new Seen(user, millis)));
        if (++sinceSweep > Math.max(4096, byIp.size())) {
            sinceSweep = 0;
            sweep(millis);
        }
    }

    private Object with(Object old, Seen seen) {
        if (old == null) {
            return seen;
        }
        var all = old instanceof Seen one ? new Seen[] {one} : (Seen[]) old;
        var kept = new ArrayList<Seen>(all.length + 1);
        for (var s : all) {
            if (!s.user().equals(seen.user()) && s.millis() > seen.millis() - windowMillis) {
                kept.add(s);
            }
        }
        kept.add(seen);
        if (kept.size() > MOST_PER_ADDRESS) {
            kept.sort((a, b) -> Long.compare(b.millis(), a.millis()));
            kept.subList(MOST_PER_ADDRESS, kept.size()).clear();
        }
        return kept.size() == 1 ? kept.get(0) : kept.toArray(Seen[]::new);
    }

    /** The distinct users who logged in from {@code ip} within the window before {@code nowMillis}. */
    public List<String> users(String ip, long nowMillis) {
        var v = byIp.get(ip);
        long since = nowMillis - windowMillis;
        if (v == null && lastLogin != null) {
            var last = lastLogin.apply(ip);
            return last != null && last.login().toEpochMilli() > since && !last.user().isEmpty() ? List.of(last.user()) : List.of();
        }
        return v == null ? List.of() : within(v, since);
    }

    private static List<String> within(Object seen, long since) {
        if (seen instanceof Seen one) {
            return one.millis() > since ? List.of(one.user()) : List.of();
        }
        return Arrays.stream((Seen[]) seen).filter(s -> s.millis() > since).map(Seen::user).toList();
    }

    /**
     * As {@link #users(String, long)}, from any thread: an address with one user is answered with
     * {@code grantUser}, the user of its live grant as the asking thread's own table holds it
     * (null when none), rather than from the grants, which only the daemon's thread may read.
     */
    public List<String> usersOfGrant(String ip, String grantUser, long nowMillis) {
        var v = byIp.get(ip);
        if (v == null) {
            return grantUser == null || grantUser.isEmpty() ? List.of() : List.of(grantUser);
        }
        return within(v, nowMillis - windowMillis);
    }

    /** How many addresses are remembered: for the tests of the bound. */
    int size() {
        return byIp.size();
    }

    private void sweep(long nowMillis) {
        long since = nowMillis - windowMillis;
        byIp.replaceAll((ip, v) -> v instanceof Seen one ? one : trimmed((Seen[]) v, since));
        // Down to one user: the grant holds it, when there is one to ask.
        byIp.values().removeIf(v -> v instanceof Seen one ? lastLogin != null || one.millis() <= since : ((Seen[]) v).length == 0);
    }

    private static Object trimmed(Seen[] all, long since) {
        var kept = Arrays.stream(all).filter(s -> s.millis() > since).toArray(Seen[]::new);
        return kept.length == 1 ? kept[0] : kept;
    }
}
