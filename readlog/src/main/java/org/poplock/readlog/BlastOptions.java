package org.poplock.readlog;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.poplock.common.config.DurationConverter;
import picocli.CommandLine.Option;

/** readlog's options that narrow what a grant can do: the senders it relays, shared addresses, flagged users. */
final class BlastOptions implements Sectioned {

    @Override
    public String heading() {
        return "What a grant may do (sender binding, shared addresses, flagged users)";
    }

    @Option(names = "--policy-sender", paramLabel = "any|login", defaultValue = "any",
            description = "login: a live grant relays only a sender that belongs to a user who logged in from the address"
                    + " (the login, login@DOMAIN of --sender-domain, or --sender-login-map); others get DUNNO (default: ${DEFAULT-VALUE})")
    String policySender;

    @Option(names = "--sender-domain", paramLabel = "DOMAIN", split = ",",
            description = "with --policy-sender login: LOGIN@DOMAIN belongs to LOGIN; repeatable")
    List<String> senderDomains = new ArrayList<>();

    @Option(names = "--sender-login-map", paramLabel = "FILE",
            description = "with --policy-sender login: which logins own which senders, as Postfix's smtpd_sender_login_maps text table; read again on SIGHUP")
    Path senderLoginMap;

    @Option(names = "--shared-users", paramLabel = "N", defaultValue = "3",
            description = "an address from which more than N users logged in within the timeout is shared (default: ${DEFAULT-VALUE})")
    int sharedUsers;

    @Option(names = "--shared-networks", paramLabel = "FILE",
            description = "networks known to be shared (NAT pools), one CIDR a line; 100.64.0.0/10 always is")
    Path sharedNetworks;

    @Option(names = "--shared-grant", paramLabel = "full|shorter|none", defaultValue = "shorter",
            description = "what a login from a shared address grants: as any other, --shared-timeout, or nothing (default: ${DEFAULT-VALUE})")
    String sharedGrant;

    @Option(names = "--shared-timeout", paramLabel = "DURATION", defaultValue = "2m", converter = DurationConverter.class,
            description = "with --shared-grant shorter: how long a shared address's grant lasts (default: ${DEFAULT-VALUE})")
    Duration sharedTimeout;

    @Option(names = "--flag-networks", paramLabel = "K", defaultValue = "10",
            description = "a user who logs in from more than K networks (/24, /48) within an hour is flagged and gets no grants; 0: never (default: ${DEFAULT-VALUE})")
    int flagNetworks;

    @Option(names = "--flag-for", paramLabel = "DURATION", defaultValue = "24h", converter = DurationConverter.class,
            description = "how long a flag lasts unless showallowed --unflag lifts it (default: ${DEFAULT-VALUE})")
    Duration flagFor;

    @Option(names = "--flag-keeps-grants",
            description = "a flagged user's grants run out as usual instead of ending at once")
    boolean flagKeepsGrants;
}
