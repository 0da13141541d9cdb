package org.poplock.relaylock;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;
import org.poplock.common.address.IpAddress;
import org.poplock.common.address.Printable;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.config.Settings;
import org.poplock.common.config.Timeouts;
import org.poplock.common.store.RelayLookup;

/**
 * Whether this SMTP connection may relay: one lookup of {@code TCPREMOTEIP} in the published
 * database, whose stored expiry is the one answer every reader gives (readlog may have moved it
 * past the login's timeout: a session kept open, an admin's grant). {@code --max-login-age}, off
 * unless set, is relaylock's own and explicit cap on the login's age.
 */
final class RelayDecision {

    /** relaylock's own cap on a login's age, a key only relaylock reads; the shared {@code timeout} is the grant length readlog applies. */
    static final String MAX_LOGIN_AGE = "max-login-age";

    private RelayDecision() {
    }

    /**
     * The RELAYCLIENT value for this connection, or null. Never throws: mail goes on whatever
     * happens here; each problem is one line to {@code warn}, and means no RELAYCLIENT.
     */
    static String relayClient(RelaylockOptions options, Map<String, String> env, Instant now, Consumer<String> warn) {
        try {
            var remote = env.get("TCPREMOTEIP");
            if (remote == null) {
                warn.accept("TCPREMOTEIP is not set (not run by tcpserver?)");
                return null;
            }
            var ip = IpAddress.bytesOrNull(remote);
            if (ip == null) {
                warn.accept("TCPREMOTEIP " + Printable.of(remote) + " is not an IP address");
                return null;
            }
            var config = ConfigFile.locate(options.options(), env);
            for (var unknown : config.unknownKeys()) {
                System.err.println("relaylock: " + unknown + "; ignored");
            }
            var db = Path.of(setting(options.db(), "db", env, config, ConfigFile.DEFAULT_DB));
            var entry = RelayLookup.find(db, IpAddress.format(ip));
            if (entry.isEmpty() || !entry.get().isLiveAt(now)) {
                return null;
            }
            var maxAge = setting(options.maxLoginAge(), MAX_LOGIN_AGE, env, config, null);
            if (maxAge != null) {
                Duration limit;
                try {
                    limit = Timeouts.parse(maxAge);
                } catch (IllegalArgumentException bad) {
                    throw new IllegalArgumentException(MAX_LOGIN_AGE + " (flag, $" + ConfigFile.variable(MAX_LOGIN_AGE) + " or " + config.path() + "): "
                            + bad.getMessage());
                }
                if (!now.isBefore(entry.get().login().plus(limit))) {
                    return null;
                }
            }
            return setting(options.relayValue(), "relayclient-value", env, config, "");
        } catch (Throwable t) {
            warn.accept(t.getMessage() != null ? t.getMessage() : t.toString());
            return null;
        }
    }

    /** The flag, else the one precedence of every program ({@link Settings#find}), else the default. */
    private static String setting(String flag, String key, Map<String, String> env, ConfigFile config, String fallback) {
        return flag != null ? flag : Settings.find(key, env, config).map(Settings.Found::value).orElse(fallback);
    }
}
