package org.poplock.readlog.parse;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.poplock.common.address.IpAddress;

/**
 * Turns a log line into a {@link Login}, or nothing. Log lines are attacker input: the address is
 * only ever taken from the group a definition anchors on, and must parse as a literal address.
 */
public final class LoginParser {

    /** Longer lines are not logins of any server we know; refusing them bounds the regex work per line. */
    public static final int MAX_LINE = 8192;

    private final List<ServerDefinition> definitions;
    private final LogStamps stamps;
    private final Clock clock;

    public LoginParser(List<ServerDefinition> definitions, Clock clock) {
        this.definitions = List.copyOf(definitions);
        this.stamps = new LogStamps(clock);
        this.clock = clock;
    }

    public Optional<Login> parse(String line) {
        if (line.length() > MAX_LINE) {
            return Optional.empty();
        }
        StampedLine stamped = null;
        for (var def : definitions) {
            if (!def.require().isEmpty() && !line.contains(def.require())) {
                continue;
            }
            if (stamped == null) {
                stamped = stamps.split(line);
            }
            for (var pattern : def.logins()) {
                var m = pattern.matcher(stamped.message());
                if (!m.lookingAt()) {
                    continue;
                }
                var ip = IpAddress.bytesOrNull(m.group("ip"));
                var user = m.group("user");
                if (ip == null || user == null || user.isEmpty()) {
                    continue;
                }
                var time = stamped.time() == null ? Instant.now(clock) : stamped.time();
                return Optional.of(new Login(IpAddress.format(ip), user, time, def.name()));
            }
        }
        return Optional.empty();
    }
}
