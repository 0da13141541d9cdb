package org.poplock.readlog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.poplock.common.config.DurationConverter;
import picocli.CommandLine.Option;

/** readlog's options for the policy service that Postfix's check_policy_service and Exim's readsocket ask. */
final class PolicyOptions implements Sectioned {

    @Override
    public String heading() {
        return "Policy service (Postfix, Exim)";
    }

    @Option(names = "--policy", paramLabel = "ADDRESS", split = ",",
            description = "answer Postfix's check_policy_service and Exim's readsocket: unix:/path or inet:HOST:PORT; repeatable")
    List<String> policy = new ArrayList<>();

    @Option(names = "--policy-mode", paramLabel = "MODE", defaultValue = "0660",
            description = "the mode of a unix policy socket (default: ${DEFAULT-VALUE})")
    String policyMode;

    @Option(names = "--policy-group", paramLabel = "GROUP", description = "the group of a unix policy socket, one readlog's user is a member of (a set-group-ID directory gives its own instead)")
    String policyGroup;

    @Option(names = "--policy-action", paramLabel = "TEXT", defaultValue = "OK",
            description = "the access(5) action for a client with a live grant (default: ${DEFAULT-VALUE}); others get DUNNO")
    String policyAction;

    @Option(names = "--policy-idle", paramLabel = "DURATION", defaultValue = "300s", converter = DurationConverter.class,
            description = "close a policy client idle this long (default: ${DEFAULT-VALUE})")
    Duration policyIdle;

    @Option(names = "--policy-connections-per-client", paramLabel = "N", defaultValue = "512",
            description = "policy connections at once from one address over TCP; past it the one waiting longest is closed (default: ${DEFAULT-VALUE})")
    int policyConnectionsPerClient;

    @Option(names = "--budget-recipients-per-grant", paramLabel = "N", defaultValue = "0",
            description = "recipients a granted address may relay per --budget-window, counted by the policy service; more are deferred with 4.7.1; 0 is no limit (default: ${DEFAULT-VALUE})")
    int budgetPerGrant;

    @Option(names = "--budget-recipients-per-user", paramLabel = "N", defaultValue = "0",
            description = "recipients a user may relay per --budget-window across all their granted addresses; 0 is no limit (default: ${DEFAULT-VALUE})")
    int budgetPerUser;

    @Option(names = "--budget-window", paramLabel = "DURATION", defaultValue = "1h", converter = DurationConverter.class,
            description = "the window the budgets count in (default: ${DEFAULT-VALUE}); with --cluster one across every host")
    Duration budgetWindow;
}
