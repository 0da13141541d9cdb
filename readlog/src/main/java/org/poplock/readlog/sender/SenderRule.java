package org.poplock.readlog.sender;

import java.util.Collection;
import java.util.Locale;
import java.util.Set;

/**
 * Whether an envelope sender belongs to one of the users who logged in from the client's address:
 * the login itself when it is an address, {@code login@DOMAIN} for each of {@code domains}, or an
 * owner the {@link SenderLoginMap} names for it; all without case. The bounce sender ({@code <>},
 * an empty {@code sender=}) belongs to nobody: a logged-in user's program sends with their own
 * address, and a null sender that relays is a spammer's favourite, so it gets Postfix's other
 * restrictions like any stranger. {@code postmaster@DOMAIN} is no exception either way: it belongs
 * to whoever the map or a login names for it (list the admins in the map).
 */
public record SenderRule(Set<String> domains, SenderLoginMap map) {

    public SenderRule {
        domains = Set.copyOf(domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList());
    }

    /** Why {@code sender} (null when the request carried none) belongs to none of {@code users}, or null when it belongs. */
    public String mismatch(String sender, Collection<String> users) {
        if (sender == null) {
            return "the request carries no sender= (an Exim ACL must pass $sender_address)";
        }
        if (sender.isEmpty()) {
            return "the bounce sender <> belongs to no user";
        }
        if (users.isEmpty()) {
            return "no user logged in from it within the timeout";
        }
        var s = sender.toLowerCase(Locale.ROOT);
        int at = s.lastIndexOf('@');
        var owners = map.loginsOf(s);
        for (var user : users) {
            var u = user.toLowerCase(Locale.ROOT);
            if (u.equals(s) || owners.contains(u)) {
                return null;
            }
            if (at > 0 && s.substring(0, at).equals(u) && domains.contains(s.substring(at + 1))) {
                return null;
            }
        }
        return "the sender belongs to none of its users";
    }
}
