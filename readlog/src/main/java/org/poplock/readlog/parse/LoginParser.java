package org.poplock.readlog.parse;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.poplock.common.address.IpAddress;

/**
 * Turns a log line into a {@link Login}, or nothing. Log lines are attacker input: the address is
 * only ever taken from the group a definition anchors on, and must parse as a literal address.
 *
 * <p>Most lines of a mail log belong to programs no definition knows (the MTA, cron, the kernel):
 * the syslog program tag is read once and only the definitions for that tag are tried.
 */
public final class LoginParser {

    /** Longer lines are not logins of any server we know; refusing them bounds the regex work per line. */
    public static final int MAX_LINE = 8192;
    /** Process ids remembered for two-line servers (popa3d): enough for every open POP session. */
    private static final int MAX_SESSIONS = 4096;
    /**
     * How long a two-line server's session line waits for its login line. A client sends its
     * password within seconds of connecting; past this, the process id may belong to another
     * session whose own first line was lost.
     */
    public static final Duration PENDING_JOIN = Duration.ofMinutes(2);

    private final Map<String, List<ServerDefinition>> byTag = new HashMap<>();
    /** Which optional groups each login expression has: looked up per login, so found once when the definitions are read. */
    private final Map<Pattern, Groups> groups = new IdentityHashMap<>();

    private record Groups(boolean ip, boolean sid, boolean time) {
    }
    private final List<ServerDefinition> anyTag = new ArrayList<>();
    private final LogStamps stamps;
    private final Clock clock;
    /** A two-line server's session line waiting for its login line: the address, and when the session began. */
    private record Pending(String ip, Instant since) {
    }

    private final Map<String, Pending> sessions = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Pending> eldest) {
            return size() > MAX_SESSIONS;
        }
    };

    public LoginParser(List<ServerDefinition> definitions, Clock clock) {
        for (var def : definitions) {
            if (def.anyTag()) {
                anyTag.add(def);
            } else {
                def.tags().forEach(tag -> byTag.computeIfAbsent(tag, t -> new ArrayList<>()).add(def));
            }
        }
        this.stamps = new LogStamps(clock);
        this.clock = clock;
        for (var def : definitions) {
            for (var p : def.logins()) {
                groups.put(p, new Groups(ServerDefinition.hasGroup(p, "ip"), ServerDefinition.hasGroup(p, "sid"), ServerDefinition.hasGroup(p, "time")));
            }
        }
    }

    private Groups groupsOf(Pattern p) {
        return groups.get(p);
    }

    public Optional<Login> parse(String line) {
        if (line.length() > MAX_LINE) {
            return Optional.empty();
        }
        var stamped = stamps.split(line);
        var message = stamped.message();
        var tagged = byTag.get(programTag(message));
        if (tagged != null) {
            for (var def : tagged) {
                var login = match(def, message, stamped, line);
                if (login != null) {
                    return Optional.of(login);
                }
            }
        }
        for (var def : anyTag) {
            var login = match(def, message, stamped, line);
            if (login != null) {
                return Optional.of(login);
            }
        }
        return Optional.empty();
    }

    private Login match(ServerDefinition def, String message, StampedLine stamped, String line) {
        if (!def.require().isEmpty() && !message.contains(def.require())) {
            rememberSession(def, message, stamped);
            return null;
        }
        for (var pattern : def.logins()) {
            var m = pattern.matcher(message);
            if (!m.matches()) {
                continue;
            }
            var user = m.group("user");
            var groups = groupsOf(pattern);
            var time = time(m, groups.time(), stamped);
            var ipText = groups.ip() ? m.group("ip") : joined(def.name() + " " + m.group("pid"), time);
            var ip = IpAddress.bytesOrNull(ipText);
            if (ip == null || user == null || user.isEmpty()) {
                continue;
            }
            var session = groups.sid() ? def.name() + " " + m.group("sid") : null;
            return new Login(IpAddress.format(ip), user, time == null ? Instant.now(clock) : time, def.name(), session, time != null);
        }
        rememberSession(def, message, stamped);
        return null;
    }

    /** The session a logout line ends ("definition sid", as {@link Login#session()}), or empty. */
    public Optional<String> logout(String line) {
        if (line.length() > MAX_LINE) {
            return Optional.empty();
        }
        var message = stamps.split(line).message();
        var tagged = byTag.get(programTag(message));
        if (tagged == null) {
            return Optional.empty();
        }
        for (var def : tagged) {
            for (var pattern : def.logouts()) {
                var m = pattern.matcher(message);
                if (m.matches()) {
                    return Optional.of(def.name() + " " + m.group("sid"));
                }
            }
        }
        return Optional.empty();
    }

    private void rememberSession(ServerDefinition def, String message, StampedLine stamped) {
        for (var pattern : def.sessions()) {
            var m = pattern.matcher(message);
            if (m.matches() && IpAddress.isLiteral(m.group("ip"))) {
                var since = stamped.time() == null ? Instant.now(clock) : stamped.time();
                sessions.put(def.name() + " " + m.group("pid"), new Pending(m.group("ip"), since));
                return;
            }
        }
    }

    /**
     * The address of the session line a login line joins, when it is no older than
     * {@link #PENDING_JOIN} by the lines' own times (by the clock for lines without one); null
     * otherwise.
     */
    private String joined(String pid, Instant loginTime) {
        var pending = sessions.remove(pid);
        if (pending == null) {
            return null;
        }
        var at = loginTime == null ? Instant.now(clock) : loginTime;
        return pending.since().plus(PENDING_JOIN).isBefore(at) ? null : pending.ip();
    }

    /** Forgets every session line waiting for its login: the source lost lines, and a login line could join the wrong one. */
    public void forgetPendingJoins() {
        sessions.clear();
    }

    /** The login's own time (its definition's time group, else the line's stamp), or null when the line has none. */
    private Instant time(Matcher m, boolean hasTime, StampedLine stamped) {
        if (hasTime && m.group("time") != null) {
            var own = stamps.split(m.group("time") + " ").time();
            if (own != null) {
                return own;
            }
        }
        return stamped.time();
    }

    /**
     * The syslog program name of a message ({@code host prog[pid]: text} or, in a server's own log,
     * {@code prog: text}), without the pid; null when the message has none.
     */
    static String programTag(String message) {
        int sp = message.indexOf(' ');
        if (sp <= 0) {
            return null;
        }
        int start = 0;
        int end = sp;
        if (message.charAt(sp - 1) != ':') {
            start = sp + 1;
            end = message.indexOf(' ', start);
            if (end <= start || message.charAt(end - 1) != ':') {
                return null;
            }
        }
        end--; // the colon
        // The program name ends at its [pid], or at Dovecot's (user)<pid><session> in its own log.
        for (int i = start; i < end; i++) {
            char c = message.charAt(i);
            if (c == '[' || c == '(' || c == '<') {
                end = i;
                break;
            }
        }
        return end > start ? message.substring(start, end) : null;
    }
}
