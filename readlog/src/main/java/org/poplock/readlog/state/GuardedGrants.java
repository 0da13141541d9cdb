package org.poplock.readlog.state;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.poplock.common.store.RelayEntry;

/**
 * What a {@link LoginGuard} does to the grants: a shared address's grant cut short, a flagged
 * user's grants withdrawn, each through the {@link Grants}' own ways of changing an entry.
 */
final class GuardedGrants {

    private final Grants grants;

    GuardedGrants(Grants grants) {
        this.grants = grants;
    }

    /** Ends the grant of {@code ip} at {@code until} if it lasts longer; returns whether it did. */
    public boolean cap(String ip, Instant until) {
        var value = grants.stored(ip);
        if (value == null || RelayEntry.expiryMillis(value) <= until.toEpochMilli()) {
            return false;
        }
        var e = RelayEntry.decode(ip, value);
        if (until.toEpochMilli() <= e.login().toEpochMilli()) {
            grants.drop(ip);
        } else {
            grants.put(new RelayEntry(e.ip(), e.user(), e.login(), until, e.origin()));
        }
        return true;
    }

    /**
     * Withdraws every grant of the {@code users} at {@code at}, as the admin's removal does, so the
     * outputs (the other cluster hosts among them) hear of each; returns the addresses. One pass
     * over every entry, however many users: flagged users are rare, a flood of them costs one pass.
     */
    public List<String> withdrawUsers(Set<String> users, Instant at) {
        var out = new ArrayList<String>();
        for (var e : new ArrayList<>(grants.stored().entrySet())) {
            if (users.contains(RelayEntry.decode(e.getKey(), e.getValue()).user())) {
                grants.withdraw(e.getKey(), at);
                out.add(e.getKey());
            }
        }
        return out;
    }
}
