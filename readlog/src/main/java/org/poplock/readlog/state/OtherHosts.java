package org.poplock.readlog.state;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Set;
import org.poplock.common.address.IpAddress;
import org.poplock.common.store.RelayEntry;

/**
 * What other cluster hosts sent, merged into the {@link Grants} by the rules that make the hosts
 * agree whatever order the changes arrive in: the later expiry wins, a removal or flush beats every
 * grant whose login is not later. The outputs hear of none of it: it came from the cluster.
 */
public final class OtherHosts {

    private final Grants grants;

    OtherHosts(Grants grants) {
        this.grants = grants;
    }

    /** A grant another host sent: kept when it is live and expires later than what the address has (the same event twice changes nothing). */
    public boolean merge(RelayEntry entry, Instant now) {
        if (!entry.isLiveAt(now) || IpAddress.notAClient(entry.ip()) != null) {
            return false;
        }
        var previous = grants.stored(entry.ip());
        if (previous != null && RelayEntry.expiryMillis(previous) >= entry.expiry().toEpochMilli()) {
            return false;
        }
        grants.put(entry);
        return true;
    }

    /** A removal another host sent at {@code at}: beats the address's grant unless its login is later. */
    public boolean revokeOlder(String ip, Instant at) {
        var value = grants.stored(ip);
        if (value == null || RelayEntry.loginMillis(value) > at.toEpochMilli()) {
            return false;
        }
        grants.drop(ip);
        return true;
    }

    /** A flush another host sent at {@code at}: every grant whose login is not later goes. */
    public int revokeAllOlder(Instant at) {
        int n = 0;
        for (var ip : new ArrayList<>(grants.stored().keySet())) {
            if (revokeOlder(ip, at)) {
                n++;
            }
        }
        return n;
    }

    /**
     * After a complete load of the cluster's grants: every grant that came from another host and
     * is not in {@code current} was removed while we could not follow; returns how many went.
     */
    public int revokeOthersExcept(Set<String> current) {
        int n = 0;
        for (var e : new ArrayList<>(grants.stored().entrySet())) {
            if (!current.contains(e.getKey()) && !RelayEntry.decode(e.getKey(), e.getValue()).origin().isEmpty()) {
                grants.drop(e.getKey());
                n++;
            }
        }
        return n;
    }
}
