package org.poplock.readlog.state;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.poplock.common.store.RelayEntry;

/**
 * What a {@link LoginGuard} does to the grants: a shared address's grant cut short, a flagged
 * user's grants ended, each through the {@link Grants}' own ways of changing an entry.
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
     * Ends every grant of the {@code users}; returns the addresses. The outputs hear nothing, as of
     * another host's change: every cluster host ends them itself, from the flag it made or heard of
     * (an SMTP host's Redis user may not write, so it must send nothing). One pass over every entry,
     * however many users: a burst of flags costs one pass.
     */
    public List<String> endUsers(Set<String> users) {
        var out = new ArrayList<String>();
        for (var e : new ArrayList<>(grants.stored().entrySet())) {
            if (users.contains(RelayEntry.decode(e.getKey(), e.getValue()).user())) {
                grants.drop(e.getKey());
                out.add(e.getKey());
            }
        }
        return out;
    }
}
