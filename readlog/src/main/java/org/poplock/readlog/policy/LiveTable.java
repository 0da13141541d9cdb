package org.poplock.readlog.policy;

import java.util.concurrent.ConcurrentHashMap;
import org.poplock.common.store.RelayEntry;
import org.poplock.readlog.state.Grants;

/**
 * The live grants as the policy service reads them from its own threads: address to its entry
 * (the very array {@link Grants} holds, never changed once made, so a grant costs this table a map
 * node and no copy; the expiry is read from it at each answer, the user only for a budget), brought
 * up to date by the daemon's thread after each round with the addresses that changed (a
 * {@link Grants.Journal}), so an answer takes no lock a publish or a round could hold.
 */
public final class LiveTable {

    private final ConcurrentHashMap<String, byte[]> entries = new ConcurrentHashMap<>();
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
                entries.remove(ip);
            } else {
                entries.put(ip, entry);
            }
        }
    }

    /** Every entry the grants hold, and none they do not. */
    private void reload() {
        var stored = grants.stored();
        entries.putAll(stored);
        entries.keySet().removeIf(ip -> !stored.containsKey(ip));
    }

    /** Whether a canonical address may relay at {@code nowMillis}: its expiry checked at the moment of asking. */
    public boolean isLive(String ip, long nowMillis) {
        var entry = entries.get(ip);
        return entry != null && RelayEntry.expiryMillis(entry) > nowMillis;
    }

    /** The user whose login earned the grant of {@code ip} (decoded at each call: only a budget per user and sender binding ask); null without a grant. */
    String user(String ip) {
        var entry = entries.get(ip);
        return entry == null ? null : RelayEntry.user(ip, entry);
    }
}
