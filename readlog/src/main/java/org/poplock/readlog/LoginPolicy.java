package org.poplock.readlog;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.poplock.common.address.Cidr;
import org.poplock.common.address.IpAddress;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.state.Grants;

/**
 * Logins that must not become relay grants: addresses no client can have (unspecified,
 * broadcast, multicast, reserved), addresses in networks that relay anyway or that many
 * users share (a NAT gateway: one login there would open the relay to all of them), and accounts
 * that must never relay; and logins that grant nothing now: over by their own time, or of unknown
 * time in content that was in the log before readlog read it.
 */
record LoginPolicy(List<Cidr> neverRelay, Set<String> denyUsers, Duration timeout) {

    /** Why this login is not recorded, or empty when it is. */
    Optional<String> refusal(Login login) {
        var notAClient = IpAddress.notAClient(login.ip());
        if (notAClient != null) {
            return Optional.of("no client has this address: " + notAClient);
        }
        for (var net : neverRelay) {
            if (net.contains(login.ip())) {
                return Optional.of("never-relay " + net);
            }
        }
        return denyUsers.contains(login.user()) ? Optional.of("deny-user") : Optional.empty();
    }

    /**
     * Why this login grants nothing at {@code now}, or empty: its grant ended by its own time, or
     * its line has no time and was read while catching up ({@code catchingUp}: the line was in the
     * log before readlog opened it), so it may be years old and the address someone else's.
     */
    Optional<String> staleness(Login login, Instant now, boolean catchingUp) {
        if (!login.timed()) {
            return catchingUp ? Optional.of("the line has no time and was in the log before readlog read it: its age is unknown")
                    : Optional.empty();
        }
        var end = Grants.grantEnd(login.time(), timeout, now);
        return end.isAfter(now) ? Optional.empty() : Optional.of("too old: logged in at " + login.time() + ", its grant ended at " + end);
    }
}
