package org.poplock.readlog.parse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;
import org.poplock.common.config.KeyValue;

/**
 * How one POP3/IMAP server writes a successful login, as data (like a fail2ban filter).
 *
 * <p>File format: {@code key = value} lines and {@code #} comments; values are taken literally.
 * <ul>
 * <li>{@code name}: what {@code --parser} and {@code --dry-run} call it.</li>
 * <li>{@code tags}: the syslog program names its lines carry ({@code dovecot}, {@code ipop3d}, ...);
 *     a line with another tag is never tried against it. {@code *} means any line.</li>
 * <li>{@code require}: literal text every success line contains: a cheap test before any expression.</li>
 * <li>{@code login} (repeatable): an expression over the message after the timestamp, matched from its
 *     start, with named groups {@code user} and {@code ip}, or {@code user} and {@code pid} for servers
 *     that name the address in an earlier line of the same process; optional {@code time}.</li>
 * <li>{@code session} (repeatable): such an earlier line, with groups {@code pid} and {@code ip}.</li>
 * <li>{@code logout} (repeatable): the line that ends a login's session, with group {@code sid}; a
 *     login expression that captures the same {@code sid} lets {@code --keep-while-connected} keep
 *     the grant while that session is open.</li>
 * <li>{@code journal-unit}, {@code journal-exe}, {@code journal-user}: who writes these lines into the
 *     systemd journal, in the fields journald sets itself ({@code _SYSTEMD_UNIT}, {@code _EXE}, shell
 *     patterns, {@code _UID}, names or numbers): see {@link JournalSender}.</li>
 * </ul>
 * Expressions are anchored on the line's structure, the program tag then the success keyword, and
 * end at the end of the line where the server puts the address last, so that text a client got
 * into the log (a user name, a host name, an SMTP command) cannot pose as a login.
 *
 * <p>Shorthands ({@code {host}}, {@code {pid}}, {@code {addr}}) are data too, with examples:
 * {@code servers/shorthands}.
 */
public record ServerDefinition(String name, Set<String> tags, String require, List<Pattern> logins, List<Pattern> sessions,
        List<Pattern> logouts, JournalSender journal) {

    /** {@code {host}} → its expression, from the data file {@code servers/shorthands}. */
    private static final Map<String, String> SHORTHANDS = shorthands().entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().expression()));

    /** A shorthand's expression and the examples it must match whole, and must not. */
    public record Shorthand(String expression, List<String> examples, List<String> counterExamples) {
    }

    /** The shorthands the definitions may use, as the data file defines them. */
    public static Map<String, Shorthand> shorthands() {
        var expressions = new LinkedHashMap<String, String>();
        var examples = new HashMap<String, List<String>>();
        var counter = new HashMap<String, List<String>>();
        // Examples keep their trailing space ({host} ends in one): read the raw lines, not KeyValue's stripped ones.
        for (var raw : readResource("servers/shorthands").split("\n")) {
            if (raw.isBlank() || raw.startsWith("#")) {
                continue;
            }
            int eq = raw.indexOf(" = ") >= 0 ? raw.indexOf(" = ") : raw.indexOf(" =");
            var key = raw.substring(0, eq).strip();
            var value = raw.length() > eq + 3 ? raw.substring(eq + 3) : "";
            var name = key.split(" ")[0];
            if (key.endsWith(" example")) {
                examples.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else if (key.endsWith(" not")) {
                counter.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                expressions.put(name, value.strip());
            }
        }
        var out = new LinkedHashMap<String, Shorthand>();
        expressions.forEach((name, expression) -> out.put(name,
                new Shorthand(expression, examples.getOrDefault(name, List.of()), counter.getOrDefault(name, List.of()))));
        return out;
    }

    public ServerDefinition {
        if (name == null || name.isEmpty() || !name.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("a server definition needs a name of letters, digits, - and _");
        }
        if (logins.isEmpty()) {
            throw new IllegalArgumentException("definition " + name + " has no login expression");
        }
        for (var p : logins) {
            if (!hasGroup(p, "user") || !(hasGroup(p, "ip") || hasGroup(p, "pid") && !sessions.isEmpty())) {
                throw new IllegalArgumentException("definition " + name
                        + ": a login expression needs named groups user and ip (or pid, with a session expression): " + p);
            }
        }
        for (var p : sessions) {
            if (!hasGroup(p, "pid") || !hasGroup(p, "ip")) {
                throw new IllegalArgumentException("definition " + name + ": a session expression needs named groups pid and ip: " + p);
            }
        }
        tags = Set.copyOf(tags);
        logins = List.copyOf(logins);
        for (var p : logouts) {
            if (!hasGroup(p, "sid")) {
                throw new IllegalArgumentException("definition " + name + ": a logout expression needs the named group sid: " + p);
            }
        }
        sessions = List.copyOf(sessions);
        logouts = List.copyOf(logouts);
        Objects.requireNonNull(journal);
    }

    /** An admin's definition from the configuration file: one expression, tried on every line. */
    public static ServerDefinition custom(String name, List<String> expressions) {
        var logins = new ArrayList<Pattern>();
        for (var e : expressions) {
            logins.add(compile(e, "custom definition " + name));
        }
        return new ServerDefinition(name, Set.of("*"), "", logins, List.of(), List.of(), JournalSender.NONE);
    }

    static boolean hasGroup(Pattern p, String group) {
        return p.pattern().contains("(?<" + group + ">");
    }

    public boolean anyTag() {
        return tags.contains("*");
    }

    /** The built-in definitions, in the order they are tried. */
    public static List<ServerDefinition> builtIn() {
        var out = new ArrayList<ServerDefinition>();
        for (var name : readResource("servers/index").split("\\s+")) {
            if (!name.isEmpty()) {
                out.add(parse(readResource("servers/" + name + ".conf"), "built-in " + name));
            }
        }
        return out;
    }

    public static ServerDefinition parse(String text, String origin) {
        String name = null;
        var tags = Set.<String>of();
        String require = "";
        var logins = new ArrayList<Pattern>();
        var sessions = new ArrayList<Pattern>();
        var logouts = new ArrayList<Pattern>();
        var units = List.<String>of();
        var programs = List.<String>of();
        var users = List.<String>of();
        for (var kv : KeyValue.parse(text, origin)) {
            var key = kv.key();
            var value = kv.value();
            var where = origin + " line " + kv.line();
            switch (key) {
                case "name" -> name = value;
                case "tags" -> tags = Set.of(value.split("\\s+"));
                case "require" -> require = value;
                case "login" -> logins.add(compile(value, where));
                case "session" -> sessions.add(compile(value, where));
                case "logout" -> logouts.add(compile(value, where));
                case "journal-unit" -> units = List.of(value.split("\\s+"));
                case "journal-exe" -> programs = List.of(value.split("\\s+"));
                case "journal-user" -> users = List.of(value.split("\\s+"));
                default -> throw new IllegalArgumentException(where + ": unknown key '" + key + "'");
            }
        }
        if (tags.isEmpty()) {
            throw new IllegalArgumentException(origin + ": no tags (use tags = * to try every line)");
        }
        try {
            return new ServerDefinition(name, tags, require, logins, sessions, logouts, new JournalSender(units, programs, users));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": " + e.getMessage());
        }
    }

    private static Pattern compile(String expression, String where) {
        var expanded = expression;
        for (var s : SHORTHANDS.entrySet()) {
            expanded = expanded.replace(s.getKey(), s.getValue());
        }
        try {
            return Pattern.compile(expanded);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(where + ": bad expression: " + e.getDescription());
        }
    }

    private static String readResource(String name) {
        var in = ServerDefinition.class.getResourceAsStream("/org/poplock/readlog/" + name);
        if (in == null) {
            throw new IllegalStateException("missing resource " + name);
        }
        try (var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            var sb = new StringBuilder();
            reader.lines().forEach(l -> sb.append(l).append('\n'));
            return sb.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
