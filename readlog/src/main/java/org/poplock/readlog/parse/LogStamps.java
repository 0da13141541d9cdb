package org.poplock.readlog.parse;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.time.ZonedDateTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes the timestamp off the front of a log line, in the forms mail hosts write:
 * BSD syslog and Dovecot's own log ({@code Nov  2 09:54:53}, the year inferred and never in the
 * future), RFC 3339 as rsyslog and {@code journalctl -o short-iso} write it, multilog's TAI64N
 * ({@code @4000…}), or none. The line's own time is what makes a re-read old log harmless. A
 * stamp with a field out of range is no stamp (the line is kept whole, as one without a time); a
 * TAI64N label beyond the years 0000 to 9999 is refused with IllegalArgumentException, and the
 * line with it.
 */
public final class LogStamps {

    private static final Pattern RFC3339 = Pattern.compile(
            "(\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d{1,9})?)(Z|[+-]\\d\\d:?\\d\\d) ");
    private static final Pattern BSD = Pattern.compile("([A-Z][a-z]{2}) ([ \\d]\\d) (\\d\\d):(\\d\\d):(\\d\\d) ");
    private static final Pattern TAI64N = Pattern.compile("@([0-9a-f]{16})([0-9a-f]{8}) ");
    private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
    private static final long TAI64_EPOCH = 0x400000000000000aL; // TAI64 label of 1970-01-01 00:00:00 UTC (10 s TAI offset)
    /**
     * The stamps taken, in every form: the years 0000 to 9999, what RFC 3339 can write. A TAI64N
     * label beyond them is refused: its seconds reach past Instant's limits, and a grant's end
     * computed from such a time would not exist.
     */
    static final long FIRST_SECOND = -62_167_219_200L;
    static final long LAST_SECOND = 253_402_300_799L;

    private final Clock clock;

    public LogStamps(Clock clock) {
        this.clock = clock;
    }

    /** The line's stamp and the rest; IllegalArgumentException for a TAI64N label out of range. */
    public StampedLine split(String line) {
        if (line.isEmpty()) {
            return new StampedLine(null, line);
        }
        char c = line.charAt(0);
        if (c >= '0' && c <= '9') {
            var m = RFC3339.matcher(line);
            if (m.lookingAt()) {
                var time = rfc3339(m.group(1), m.group(2));
                if (time != null) {
                    return new StampedLine(time, line.substring(m.end()));
                }
            }
        } else if (c == '@') {
            var m = TAI64N.matcher(line);
            if (m.lookingAt()) {
                long label = Long.parseUnsignedLong(m.group(1), 16);
                long seconds = label - TAI64_EPOCH; // a label with its top bit set (negative here) is reserved: no time
                long nanos = Long.parseLong(m.group(2), 16);
                if (nanos < 1_000_000_000L && (label < 0 || seconds < FIRST_SECOND || seconds > LAST_SECOND)) {
                    throw new IllegalArgumentException("its TAI64N label @" + m.group(1) + " is no time in the years 0000 to 9999");
                }
                if (nanos < 1_000_000_000L) {
                    return new StampedLine(Instant.ofEpochSecond(seconds, nanos), line.substring(m.end()));
                }
            }
        } else if (c >= 'A' && c <= 'Z') {
            var m = BSD.matcher(line);
            if (m.lookingAt()) {
                var time = bsd(m);
                if (time != null) {
                    return new StampedLine(time, line.substring(m.end()));
                }
            }
        }
        return new StampedLine(null, line);
    }

    /**
     * The instant of {@code yyyy-mm-ddThh:mm:ss[.fraction]} at {@code zone} ({@code Z}, {@code +hh:mm},
     * {@code +hhmm}), the fields already matched as digits by {@link #RFC3339}; null for a field out of
     * range. Computed from the digits: every line stamped so pays this, and a general parser costs a
     * large share of {@code --once} (docs/performance.md).
     */
    private static Instant rfc3339(String local, String zone) {
        int year = digits(local, 0, 4);
        int month = digits(local, 5, 2);
        int day = digits(local, 8, 2);
        int hour = digits(local, 11, 2);
        int minute = digits(local, 14, 2);
        int second = digits(local, 17, 2);
        if (month < 1 || month > 12 || day < 1 || day > YearMonth.of(year, month).lengthOfMonth() || hour > 23 || minute > 59
                || second > 59) {
            return null;
        }
        long nanos = 0;
        if (local.length() > 19) {
            var fraction = local.substring(20);
            nanos = Long.parseLong(fraction) * POWERS[9 - fraction.length()];
        }
        int offset = 0;
        if (!zone.equals("Z")) {
            int h = digits(zone, 1, 2);
            int m = digits(zone, zone.length() - 2, 2);
            if (h > 18 || m > 59) {
                return null;
            }
            offset = (zone.charAt(0) == '-' ? -1 : 1) * (h * 3600 + m * 60);
        }
        long epochSecond = LocalDate.of(year, month, day).toEpochDay() * 86_400 + hour * 3600L + minute * 60L + second - offset;
        return Instant.ofEpochSecond(epochSecond, nanos);
    }

    private static final long[] POWERS = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000};

    private static int digits(String s, int from, int n) {
        int v = 0;
        for (int i = from; i < from + n; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v;
    }

    private Instant bsd(Matcher m) {
        int month = MONTHS.indexOf(m.group(1));
        if (month < 0 || month % 3 != 0) {
            return null;
        }
        var zone = clock.getZone();
        var now = ZonedDateTime.now(clock);
        try {
            var local = LocalDateTime.of(now.getYear(), month / 3 + 1, Integer.parseInt(m.group(2).trim()),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)));
            var time = local.atZone(zone);
            // Syslog has no year: a stamp ahead of now (beyond clock skew) is from last year (a December line read in January).
            if (time.isAfter(now.plusDays(1))) {
                time = local.minusYears(1).atZone(zone);
            }
            return time.toInstant();
        } catch (DateTimeException e) {
            return null;
        }
    }
}
