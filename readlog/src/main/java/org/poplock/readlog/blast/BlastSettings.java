package org.poplock.readlog.blast;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.poplock.common.address.Cidr;
import org.poplock.readlog.sender.SenderLoginMap;
import org.poplock.readlog.sender.SenderRule;
import org.poplock.readlog.shared.SharedAddresses;

/**
 * How far a grant reaches: whether the policy service binds the sender to the users who logged in
 * ({@code rule} null: it does not), what shared addresses earn, and when a user is flagged
 * ({@code flagNetworks} 0: never).
 */
public record BlastSettings(SenderRule rule, SharedAddresses shared, int flagNetworks, Duration flagFor, boolean flagKeepsGrants) {

    /** The options, checked: IllegalArgumentException with one line naming the bad one. */
    public static BlastSettings of(String policySender, List<String> senderDomains, Path senderMap, int sharedUsers, Path sharedNetworks,
            String sharedGrant, Duration sharedTimeout, int flagNetworks, Duration flagFor, boolean flagKeepsGrants) {
        SenderRule rule = switch (policySender) {
            case "any" -> null;
            case "login" -> new SenderRule(Set.copyOf(senderDomains),
                    senderMap == null ? SenderLoginMap.EMPTY : SenderLoginMap.read(senderMap));
            default -> throw new IllegalArgumentException("--policy-sender " + policySender + ": say any or login");
        };
        if (rule == null && (senderMap != null || !senderDomains.isEmpty())) {
            throw new IllegalArgumentException("--sender-login-map and --sender-domain need --policy-sender login");
        }
        for (var d : senderDomains) {
            if (d.isEmpty() || d.contains("@") || d.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                throw new IllegalArgumentException("--sender-domain " + d + " is no domain such as example.com");
            }
        }
        if (sharedUsers < 1) {
            throw new IllegalArgumentException("--shared-users must be at least 1 (--shared-grant full grants shared addresses as any other)");
        }
        SharedAddresses.Grant grant;
        try {
            grant = SharedAddresses.Grant.valueOf(sharedGrant.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--shared-grant " + sharedGrant + ": say full, shorter or none");
        }
        if (sharedTimeout.isNegative() || sharedTimeout.isZero()) {
            throw new IllegalArgumentException("--shared-timeout must be longer than 0s");
        }
        if (flagNetworks < 0) {
            throw new IllegalArgumentException("--flag-networks must be 0 (off) or more");
        }
        if (flagFor.isNegative() || flagFor.isZero()) {
            throw new IllegalArgumentException("--flag-for must be longer than 0s");
        }
        var networks = sharedNetworks == null ? List.<Cidr>of() : SharedAddresses.readNetworks(sharedNetworks);
        return new BlastSettings(rule, new SharedAddresses(sharedUsers, networks, grant, sharedTimeout), flagNetworks, flagFor, flagKeepsGrants);
    }
}
