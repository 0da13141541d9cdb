package org.poplock.readlog.parse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How one POP3/IMAP server writes a successful login, as data (like a fail2ban filter): a name,
 * literal text every success line contains (a cheap test before any regular expression runs), and
 * one or more expressions over the message after the timestamp, each with named groups {@code ip}
 * and {@code user}. The expressions are anchored on the line's structure: the program tag, then
 * the success keyword, so text a client got into the log elsewhere cannot pose as a login.
 *
 * <p>File format: {@code key = value} lines, {@code #} comments; keys {@code name},
 * {@code require} and {@code login} (repeatable). Values are taken literally: no escapes.
 */
public record ServerDefinition(String name, String require, List<Pattern> logins) {

    public ServerDefinition {
        if (name == null || name.isEmpty() || logins.isEmpty()) {
            throw new IllegalArgumentException("a server definition needs a name and at least one login expression");
        }
        for (var p : logins) {
            if (!p.pattern().contains("(?<ip>") || !p.pattern().contains("(?<user>")) {
                throw new IllegalArgumentException("definition " + name + ": login expression needs named groups ip and user: " + p);
            }
        }
        logins = List.copyOf(logins);
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
        String require = "";
        var logins = new ArrayList<Pattern>();
        int lineNo = 0;
        for (var raw : text.split("\n")) {
            lineNo++;
            var line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException(origin + " line " + lineNo + ": expected key = value");
            }
            var key = line.substring(0, eq).strip();
            var value = line.substring(eq + 1).strip();
            switch (key) {
                case "name" -> name = value;
                case "require" -> require = value;
                case "login" -> {
                    try {
                        logins.add(Pattern.compile(value));
                    } catch (PatternSyntaxException e) {
                        throw new IllegalArgumentException(origin + " line " + lineNo + ": bad expression: " + e.getDescription());
                    }
                }
                default -> throw new IllegalArgumentException(origin + " line " + lineNo + ": unknown key '" + key + "'");
            }
        }
        try {
            return new ServerDefinition(name, require, logins);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": " + e.getMessage());
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
