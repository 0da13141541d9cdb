package org.poplock.readlog;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.poplock.common.address.Cidr;
import org.poplock.common.address.IpAddress;
import org.poplock.readlog.parse.Login;

/**
 * Logins that must not become relay grants: addresses no client can have (unspecified,
 * broadcast, multicast, reserved), addresses in networks that relay anyway or that many
 * users share (a NAT gateway: one login there would open the relay to all of them), and accounts
 * that must never relay.
 */
record LoginPolicy(List<Cidr> neverRelay, Set<String> denyUsers) {

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
}
