package org.poplock.readlog.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.poplock.common.address.HostName;
import org.poplock.common.address.IpAddress;
import org.poplock.common.address.Printable;
import org.poplock.common.address.UserName;
import org.poplock.common.store.RelayEntry;

/**
 * One change to who may relay, as the cluster's stream carries it: a grant (a login, a session
 * extended, an admin's --add), the removal of one address, a flush of all, or a user flagged as a
 * stolen password (until its expiry) or the flag lifted, each with the host it came from and when
 * it happened there. Stream entries are input like log lines: {@link #parse}
 * accepts only what this version would send, with a reason for anything else.
 */
public record ClusterEvent(Op op, String ip, String user, Instant login, Instant expiry, String host, Instant at) {

    public enum Op { GRANT, REMOVE, FLUSH, FLAG, UNFLAG }

    /** No field of ours is longer; anything longer is refused before it is looked at. */
    static final int MAX_FIELD = 1024;
    /** Clocks of cluster hosts differ a little: an expiry this far beyond the longest grant is still taken. */
    static final Duration SKEW = Duration.ofMinutes(1);

    public static ClusterEvent grant(RelayEntry entry, String host) {
        return new ClusterEvent(Op.GRANT, entry.ip(), entry.user(), entry.login(), entry.expiry(), host, entry.login());
    }

    public static ClusterEvent remove(String ip, String host, Instant at) {
        return new ClusterEvent(Op.REMOVE, ip, "", at, at, host, at);
    }

    public static ClusterEvent flush(String host, Instant at) {
        return new ClusterEvent(Op.FLUSH, "", "", at, at, host, at);
    }

    /** {@code user} flagged at {@code at} until {@code until}: no host grants them meanwhile. */
    public static ClusterEvent flag(String user, Instant until, String host, Instant at) {
        return new ClusterEvent(Op.FLAG, "", user, at, until, host, at);
    }

    /** The admin lifted {@code user}'s flag at {@code at}. */
    public static ClusterEvent unflag(String user, String host, Instant at) {
        return new ClusterEvent(Op.UNFLAG, "", user, at, at, host, at);
    }

    /** The entry a grant stands for, with its origin. */
    public RelayEntry entry() {
        return new RelayEntry(ip, user, login, expiry, host);
    }

    /** The stream entry's fields. */
    public Map<String, String> fields() {
        var out = new LinkedHashMap<String, String>();
        out.put("op", op.name().toLowerCase(Locale.ROOT));
        out.put("ip", ip);
        out.put("user", user);
        out.put("login", Long.toString(login.toEpochMilli()));
        out.put("expiry", Long.toString(expiry.toEpochMilli()));
        out.put("host", host);
        out.put("at", Long.toString(at.toEpochMilli()));
        return out;
    }

    /** One line of the state's outbox: the fields, tab-separated, the user last. */
    public String encode() {
        return String.join("\t", op.name(), ip, Long.toString(login.toEpochMilli()), Long.toString(expiry.toEpochMilli()), host,
                Long.toString(at.toEpochMilli()), user);
    }

    public static ClusterEvent decode(String line) {
        var f = line.split("\t", 7);
        if (f.length != 7) {
            throw new IllegalArgumentException("outbox line has " + f.length + " fields");
        }
        return new ClusterEvent(Op.valueOf(f[0]), f[1], f[6], Instant.ofEpochMilli(Long.parseLong(f[2])),
                Instant.ofEpochMilli(Long.parseLong(f[3])), f[4], Instant.ofEpochMilli(Long.parseLong(f[5])));
    }

    /**
     * A stream entry's fields as an event, or IllegalArgumentException saying in a few words why
     * not: not one of our ops, an address that is not canonical or no client's, a time that is no
     * number, an expiry already past or beyond {@code longest} from now, a field too long.
     */
    public static ClusterEvent parse(Map<String, String> fields, Instant now, Duration longest) {
        for (var e : fields.entrySet()) {
            if (e.getKey().length() > MAX_FIELD || e.getValue().length() > MAX_FIELD) {
                throw new IllegalArgumentException("a field longer than " + MAX_FIELD);
            }
        }
        var opName = required(fields, "op");
        Op op;
        try {
            op = Op.valueOf(opName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("op " + Printable.of(opName) + " is none of grant, remove, flush, flag, unflag");
        }
        var host = required(fields, "host");
        if (!HostName.isValid(host)) {
            throw new IllegalArgumentException("host " + Printable.of(host) + " is no host name");
        }
        var at = millis(fields, "at");
        if (op == Op.FLUSH) {
            return flush(host, at);
        }
        if (op == Op.FLAG || op == Op.UNFLAG) {
            var user = required(fields, "user");
            if (!UserName.isValid(user)) {
                throw new IllegalArgumentException("user " + Printable.of(user) + " is not a user name");
            }
            if (op == Op.UNFLAG) {
                return unflag(user, host, at);
            }
            var until = millis(fields, "expiry");
            if (!until.isAfter(now)) {
                throw new IllegalArgumentException("flag's end " + until + " is past");
            }
            return flag(user, until, host, at);
        }
        var ip = required(fields, "ip");
        var bytes = IpAddress.bytesOrNull(ip);
        if (bytes == null || !IpAddress.format(bytes).equals(ip)) {
            throw new IllegalArgumentException("ip " + Printable.of(ip) + " is not a canonical address");
        }
        if (op == Op.REMOVE) {
            return remove(ip, host, at);
        }
        var why = IpAddress.notAClient(ip);
        if (why != null) {
            throw new IllegalArgumentException("ip " + ip + " can be no client's: " + why);
        }
        var user = fields.getOrDefault("user", "");
        if (!UserName.isValid(user)) {
            throw new IllegalArgumentException("user " + Printable.of(user) + " is not a user name");
        }
        var login = millis(fields, "login");
        var expiry = millis(fields, "expiry");
        if (!expiry.isAfter(now)) {
            throw new IllegalArgumentException("expiry " + expiry + " is past");
        }
        if (expiry.isAfter(now.plus(longest).plus(SKEW))) {
            throw new IllegalArgumentException("expiry " + expiry + " is beyond the longest grant (" + longest.toSeconds() + "s) from now");
        }
        if (expiry.isBefore(login)) {
            throw new IllegalArgumentException("expiry before login");
        }
        return new ClusterEvent(op, ip, user, login, expiry, host, at);
    }

    /**
     * The login time in ms at the start of a grant key's value ("login expiry host user"), or
     * null when it has none this version would write: the value is anyone's who can write Redis.
     */
    static Long loginOf(String value) {
        int space = value.indexOf(' ');
        if (space < 1 || space > 15) {
            return null;
        }
        for (int i = 0; i < space; i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return null;
            }
        }
        return Long.parseLong(value.substring(0, space));
    }

    /**
     * A grant key's address and value ({@code login expiry host user}, as the sender's script
     * writes it) as the grant it stands for; IllegalArgumentException as {@link #parse}.
     */
    public static ClusterEvent ofGrantKey(String ip, String value, Instant now, Duration longest) {
        var parts = value.split(" ", 4);
        var fields = new LinkedHashMap<String, String>();
        fields.put("op", "grant");
        fields.put("ip", ip);
        fields.put("login", parts[0]);
        fields.put("at", parts[0]);
        fields.put("expiry", parts.length > 1 ? parts[1] : "");
        fields.put("host", parts.length > 2 ? parts[2] : "");
        fields.put("user", parts.length > 3 ? parts[3] : "");
        return parse(fields, now, longest);
    }

    /** A flag key's user and value ({@code until host}, as the sender's script writes it) as the flag; IllegalArgumentException as {@link #parse}. */
    public static ClusterEvent ofFlagKey(String user, String value, Instant now) {
        var parts = value.split(" ", 2);
        var fields = new LinkedHashMap<String, String>();
        fields.put("op", "flag");
        fields.put("user", user);
        fields.put("expiry", parts[0]);
        fields.put("host", parts.length > 1 ? parts[1] : "");
        fields.put("at", Long.toString(now.toEpochMilli()));
        return parse(fields, now, Duration.ZERO);
    }

    private static String required(Map<String, String> fields, String name) {
        var value = fields.get(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("no " + name);
        }
        return value;
    }

    private static Instant millis(Map<String, String> fields, String name) {
        var value = required(fields, name);
        if (!value.matches("[0-9]{1,15}")) {
            throw new IllegalArgumentException(name + " " + Printable.of(value) + " is not a time in ms");
        }
        return Instant.ofEpochMilli(Long.parseLong(value));
    }
}
