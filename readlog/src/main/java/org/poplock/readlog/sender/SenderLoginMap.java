package org.poplock.readlog.sender;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.poplock.common.address.Printable;

/**
 * Which logins own which envelope senders, in the text-table format of Postfix's
 * {@code smtpd_sender_login_maps} (one file can serve both): {@code sender login1,login2} per line,
 * the key an address or {@code @domain} (every address of that domain), the logins separated by
 * commas and/or white space; empty lines and lines whose first non-blank character is {@code #}
 * ignored; a line starting with white space continues the one before. A sender is looked up as
 * Postfix does without a recipient delimiter: the whole address, then {@code @domain}; keys and
 * logins compare without case.
 */
public record SenderLoginMap(Map<String, Set<String>> owners) {

    public static final SenderLoginMap EMPTY = new SenderLoginMap(Map.of());

    /** An admin's file: at most this many bytes (a map of a million senders is ~40 MB). */
    static final long MOST_BYTES = 256L * 1024 * 1024;

    public SenderLoginMap {
        owners = Map.copyOf(owners);
    }

    /** Reads {@code file}; IllegalArgumentException with one line (the file and line number) for anything wrong. */
    public static SenderLoginMap read(Path file) {
        try {
            if (Files.size(file) > MOST_BYTES) {
                throw new IllegalArgumentException(file + ": over " + MOST_BYTES / 1024 / 1024 + " MiB; not a sender map");
            }
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the sender map " + file + ": " + e.getMessage());
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException("cannot read the sender map " + file + ": " + e.getMessage());
        }
    }

    /** The map {@code text} holds; {@code name} names it in errors ("name:LINE: why"). */
    public static SenderLoginMap parse(String text, String name) {
        var owners = new HashMap<String, Set<String>>();
        var lines = text.split("\n", -1);
        String key = null;
        var value = new StringBuilder();
        int keyLine = 0;
        for (int i = 0; i <= lines.length; i++) {
            var line = i < lines.length ? lines[i].replace("\r", "") : "";
            var stripped = line.strip();
            if (i < lines.length && stripped.startsWith("#")) {
                continue;
            }
            if (i < lines.length && !stripped.isEmpty() && Character.isWhitespace(line.charAt(0))) {
                if (key == null) {
                    throw new IllegalArgumentException(name + ":" + (i + 1) + ": a continuation line with no entry before it");
                }
                value.append(' ').append(stripped);
                continue;
            }
            if (key != null) {
                put(owners, key, value.toString(), name, keyLine);
                key = null;
            }
            if (i == lines.length || stripped.isEmpty()) {
                continue;
            }
            int gap = indexOfBlank(stripped);
            key = gap < 0 ? stripped : stripped.substring(0, gap);
            value.setLength(0);
            value.append(gap < 0 ? "" : stripped.substring(gap));
            keyLine = i + 1;
        }
        return new SenderLoginMap(owners);
    }

    private static void put(Map<String, Set<String>> owners, String key, String value, String name, int line) {
        if (key.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException(name + ":" + line + ": the sender " + Printable.of(key) + " holds control characters");
        }
        int at = key.lastIndexOf('@');
        if (at < 0 || at == key.length() - 1) {
            throw new IllegalArgumentException(name + ":" + line + ": " + Printable.of(key) + " is no address or @domain");
        }
        var logins = List.of(value.strip().split("[,\\s]+")).stream().filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(Locale.ROOT)).toList();
        if (logins.isEmpty()) {
            throw new IllegalArgumentException(name + ":" + line + ": " + Printable.of(key) + " names no login");
        }
        var k = key.toLowerCase(Locale.ROOT);
        if (owners.containsKey(k)) {
            throw new IllegalArgumentException(name + ":" + line + ": " + Printable.of(key) + " is listed twice");
        }
        owners.put(k, Set.copyOf(logins));
    }

    private static int indexOfBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** The logins that own {@code sender} (lower case): its own entry, else its domain's; empty when none. */
    public Set<String> loginsOf(String sender) {
        var own = owners.get(sender);
        if (own != null) {
            return own;
        }
        int at = sender.lastIndexOf('@');
        return at < 0 ? Set.of() : owners.getOrDefault(sender.substring(at), Set.of());
    }
}
