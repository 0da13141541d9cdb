package org.poplock.common.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Every key the one configuration file may hold: the long option names of readlog, relaylock and
 * showallowed without their dashes. One list, because the three programs share the file and each
 * must tell a typo from another program's setting. Each program's tests check that its options
 * are all here.
 */
public final class Settings {

    public static final Set<String> KEYS = Set.of(
            // shared
            "db", "timeout",
            // readlog
            "log", "state", "once", "dry-run", "parser", "list-parsers", "never-relay", "deny-user", "keep-while-connected",
            "keep-at-most", "tcprules", "tcprules-base", "tcprules-program", "tcprules-refresh", "tcprules-wait", "rotate-wait", "fifo", "fifo-queue", "summary-every", "poll-ms", "db-group",
            "cluster", "cluster-user", "cluster-password-file", "cluster-ca", "cluster-name", "cluster-sentinel", "cluster-master",
            "cluster-primaries", "cluster-sentinel-user", "cluster-sentinel-password-file", "cluster-host", "policy", "policy-mode", "policy-group", "policy-action", "policy-idle", "policy-connections-per-client", "budget-recipients-per-grant", "budget-recipients-per-user", "budget-window", "metrics", "journal",
            "journal-match", "journal-directory", "journalctl", "dovecot-policy", "dovecot-policy-secret-file",
            "policy-sender", "sender-domain", "sender-login-map", "shared-users", "shared-networks", "shared-grant", "shared-timeout",
            "flag-networks", "flag-for", "flag-keeps-grants",
            "socketmap", "socketmap-value", "socketmap-mode", "socketmap-group", "socketmap-connections-per-client",
            // relaylock
            "relayclient-value", "max-login-age",
            // showallowed
            "json", "all", "add", "user", "for", "remove", "flush", "wait", "unflag");

    private Settings() {
    }

    /** A setting's value and where it came from ({@code $POPLOCK_DB}, or the configuration file's path). */
    public record Found(String value, String origin) {
    }

    /**
     * The one precedence below the command line, for all three programs: {@code $POPLOCK_KEY}
     * (when not empty), then the configuration file (repeated keys joined by commas, which the
     * repeatable options split on); empty when neither has the key, and the default applies.
     */
    public static Optional<Found> find(String key, Map<String, String> env, ConfigFile config) {
        var variable = ConfigFile.variable(key);
        var fromEnv = env.get(variable);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return Optional.of(new Found(fromEnv, "$" + variable));
        }
        var values = config.all(key);
        return values.isEmpty() ? Optional.empty() : Optional.of(new Found(String.join(",", values), config.path().toString()));
    }

    /** The long options of a command (besides config, help, version) that are no key here: each program's tests ask. */
    public static List<String> notKeys(CommandSpec command) {
        return command.options().stream().map(o -> o.longestName().replaceFirst("^-+", ""))
                .filter(k -> !List.of("config", "help", "version").contains(k) && !KEYS.contains(k)).toList();
    }

    /** The known key closest to a misspelt one, if any is close (at most a third of its letters off). */
    public static Optional<String> nearest(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (var k : KEYS) {
            int d = distance(key, k);
            if (d < bestDistance || d == bestDistance && k.compareTo(best) < 0) {
                best = k;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(1, key.length() / 3) ? Optional.of(best) : Optional.empty();
    }

    /** Levenshtein distance: insertions, deletions and substitutions. */
    static int distance(String a, String b) {
        var previous = new int[b.length() + 1];
        var current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            var swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
