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
    private final Grants grants;
    private final Grants.Journal changes;

    /** Everything {@code grants} holds now, and from now on what changes. */
    public LiveTable(Grants grants) {
        this.grants = grants;
        this.changes = grants.journal();
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
            } else {
                expiries.put(ip, RelayEntry.expiryMillis(entry));
            }
        }
    }

    /** Every entry the grants hold, and none they do not. */
    private void reload() {
        var stored = grants.stored();
        stored.forEach((ip, value) -> expiries.put(ip, RelayEntry.expiryMillis(value)));
        expiries.keySet().removeIf(ip -> !stored.containsKey(ip));
    }

    /** Whether a canonical address may relay at {@code nowMillis}: its expiry checked at the moment of asking. */
    public boolean isLive(String ip, long nowMillis) {
        var expiry = expiries.get(ip);
        return expiry != null && expiry > nowMillis;
    }
}
