package org.poplock.common.address;

/**
 * Makes attacker-supplied text safe to print on one line: log lines and environment values reach
 * our own stderr, and a raw CR, LF or escape sequence there could forge a log line of ours.
 */
public final class Printable {

    private static final int MAX = 200;

    private Printable() {
    }

    /** {@code text} as it is when it is one printable word, else quoted by {@link #of}: for user names in columns. */
    public static String word(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                return of(text);
            }
        }
        return text;
    }

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
            } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
