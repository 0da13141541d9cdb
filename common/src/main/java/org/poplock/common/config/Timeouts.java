package org.poplock.common.config;

import java.time.Duration;

/** Parses the durations an admin writes: {@code 900}, {@code 900s}, {@code 15m}, {@code 1h30m}, {@code 2d}. */
public final class Timeouts {

    /**
     * The longest duration accepted anywhere: a year. Longer is a typo, and could overflow the
     * clock's arithmetic later (at most nine digits a term keeps the sum itself far from overflow).
     */
    public static final Duration MAX = Duration.ofDays(365);

    private Timeouts() {
    }

    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty duration");
        }
        var s = text.trim();
        long seconds = 0;
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == start || i - start > 9) {
                throw new IllegalArgumentException("not a duration: '" + text + "' (use e.g. 900s, 15m, 1h)");
            }
            long n = Long.parseLong(s.substring(start, i));
            char unit = i < s.length() ? s.charAt(i++) : 's';
            seconds += switch (unit) {
                case 's' -> n;
                case 'm' -> n * 60;
                case 'h' -> n * 3600;
                case 'd' -> n * 86400;
                default -> throw new IllegalArgumentException("unknown unit '" + unit + "' in duration '" + text + "' (use s, m, h or d)");
            };
        }
        if (seconds <= 0) {
            throw new IllegalArgumentException("duration must be positive: '" + text + "'");
        }
        if (seconds > MAX.toSeconds()) {
            throw new IllegalArgumentException("duration '" + text + "' is longer than the most allowed, " + MAX.toDays() + "d");
        }
        return Duration.ofSeconds(seconds);
    }

    /** The shortest text {@link #parse} reads back as {@code d}, for messages and listings. */
    public static String format(Duration d) {
        long s = d.toSeconds();
        var sb = new StringBuilder();
        if (s >= 3600) {
            sb.append(s / 3600).append('h');
            s %= 3600;
        }
        if (s >= 60) {
            sb.append(s / 60).append('m');
            s %= 60;
        }
        if (s > 0 || sb.length() == 0) {
            sb.append(s).append('s');
        }
        return sb.toString();
    }
}
