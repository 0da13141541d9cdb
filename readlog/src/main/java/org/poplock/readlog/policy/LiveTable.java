package org.poplock.readlog.policy;

import java.util.concurrent.ConcurrentHashMap;
import org.poplock.common.store.RelayEntry;
import org.poplock.readlog.state.Grants;

/**
 * The live grants as the policy service reads them from its own threads: address to expiry,
 * brought up to date by the daemon's thread after each round with the addresses that changed
 * (a {@link Grants.Journal}), so an answer takes no lock a publish or a round could hold.
 */
public final class LiveTable {

    private final ConcurrentHashMap<String, Long> expiries = new ConcurrentHashMap<>();
    /** Address to the user who earned its grant, for a budget per user; null without one, so the common case holds no more. */
    private final ConcurrentHashMap<String, String> users;
    private final Grants grants;
    private final Grants.Journal changes;

    /** Everything {@code grants} holds now, and from now on what changes. */
    public LiveTable(Grants grants) {
        this(grants, false);
    }

    /** With {@code withUsers}, each grant's user too ({@link #user}). */
    public LiveTable(Grants grants, boolean withUsers) {
        this.grants = grants;
        this.changes = grants.journal();
        this.users = withUsers ? new ConcurrentHashMap<>() : null;
        reload();
    }

    /** On the daemon's thread, after a round. */
    public void update() {
        var changed = changes.take();
        if (changed == null) { // so many that everything is taken again
            reload();
            return;
        }
        for (var ip : changed) {
            var entry = grants.stored().get(ip);
            if (entry == null) {
                expiries.remove(ip);
                if (users != null) {
                    users.remove(ip);
                }
            } else {
                expiries.put(ip, RelayEntry.expiryMillis(entry));
                if (users != null) {
                    users.put(ip, RelayEntry.decode(ip, entry).user());
                }
            }
        }
    }

    /** Every entry the grants hold, and none they do not. */
    private void reload() {
        var stored = grants.stored();
        stored.forEach((ip, value) -> expiries.put(ip, RelayEntry.expiryMillis(value)));
        expiries.keySet().removeIf(ip -> !stored.containsKey(ip));
        if (users != null) {
            stored.forEach((ip, value) -> users.put(ip, RelayEntry.decode(ip, value).user()));
            users.keySet().removeIf(ip -> !stored.containsKey(ip));
        }
    }

    /** The user whose login earned the grant of {@code ip}; null when not kept or no grant. */
    String user(String ip) {
        return users == null ? null : users.get(ip);
    }

    /** Whether a canonical address may relay at {@code nowMillis}: its expiry checked at the moment of asking. */
    boolean isLive(String ip, long nowMillis) {
        var expiry = expiries.get(ip);
        return expiry != null && expiry > nowMillis;
    }
}
