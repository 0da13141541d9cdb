package org.poplock.common.address;

/**
 * Makes attacker-supplied text safe to print on one line: log lines and environment values reach
 * our own stderr, and a raw CR, LF or escape sequence there could forge a log line of ours, or
 * drive the terminal of the admin reading it. The one escaping of such text: {@link #of} and
 * {@link #word} quote a piece of it, {@link #line} is the last guard on a whole message.
 */
public final class Printable {

    private static final int MAX = 200;

    private Printable() {
    }

    /** {@code text} as it is when it is one printable word, else quoted by {@link #of}: for user names in columns. */
    public static String word(String text) {
        if (text == null) {
            return of(null);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c == '"' || c == '\\' || unprintable(c)) {
                return of(text);
            }
        }
        return text;
    }

    /** {@code text} quoted, its quotes, backslashes and unprintable characters escaped, cut at 200 characters. */
    public static String of(String text) {
        if (text == null) {
            return "(none)";
        }
        var sb = new StringBuilder(Math.min(text.length(), MAX) + 2);
        sb.append('"');
        for (int i = 0; i < text.length(); i++) {
            if (i == MAX) {
                sb.append("...");
                break;
            }
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else {
                escape(sb, c);
            }
        }
        return sb.append('"').toString();
    }

    /**
     * A whole message with every unprintable character escaped and nothing else changed: what
     * reaches a log of ours is one line whatever a piece of it held that {@link #of} missed.
     */
    public static String line(String message) {
        for (int i = 0; i < message.length(); i++) {
            if (unprintable(message.charAt(i))) {
                var sb = new StringBuilder(message.length() + 16).append(message, 0, i);
                for (int j = i; j < message.length(); j++) {
                    escape(sb, message.charAt(j));
                }
                return sb.toString();
            }
        }
        return message;
    }

    private static void escape(StringBuilder sb, char c) {
        if (c < 0x100 && unprintable(c)) {
            sb.append(String.format("\\x%02x", (int) c));
        } else if (unprintable(c)) {
            sb.append(String.format("\\u%04x", (int) c));
        } else {
            sb.append(c);
        }
    }

    /**
     * C0 and C1 controls and DEL (line breaks, terminal escapes), the Unicode line and paragraph
     * separators, and the direction overrides that make a line read otherwise than it is written.
     */
    private static boolean unprintable(char c) {
        return c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 || c == 0x2028 || c == 0x2029 || c >= 0x202a && c <= 0x202e
                || c >= 0x2066 && c <= 0x2069 || c == 0x200e || c == 0x200f || c == 0x061c;
    }
}
