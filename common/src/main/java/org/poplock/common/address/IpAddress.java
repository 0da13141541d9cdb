package org.poplock.common.address;

import java.util.Arrays;

/**
 * A client address in the one text form used everywhere: the published database's keys,
 * {@code TCPREMOTEIP} lookups and every message. IPv4 is a dotted quad, IPv6 is RFC 5952
 * (lower case, longest zero run compressed), and an IPv4-mapped IPv6 address is its IPv4 form,
 * because tcpserver says {@code 1.2.3.4} for the client Courier logs as {@code ::ffff:1.2.3.4}.
 *
 * <p>Only literals are accepted: no host names (a lookup would let a log line make us query DNS),
 * no zone ids, no leading zeros that some libraries read as octal.
 */
public record IpAddress(String text) {

    private static final int MAX_TEXT = 45;

    public IpAddress {
        if (!text.equals(canonical(text))) {
            throw new IllegalArgumentException("not a canonical address: " + Printable.of(text));
        }
    }

    /** Parses a literal address; throws IllegalArgumentException with a one-line reason. */
    public static IpAddress parse(String text) {
        return new IpAddress(canonical(text));
    }

    /** Whether {@code text} is a literal address at all. */
    public static boolean isLiteral(String text) {
        return bytesOrNull(text) != null;
    }

    /** The canonical text of a literal address. */
    public static String canonical(String text) {
        var bytes = bytesOrNull(text);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IP address literal: " + Printable.of(text));
        }
        return format(bytes);
    }

    /**
     * Why no SMTP client can connect from this canonical address, or null when one can: the
     * unspecified address, broadcast, multicast and the reserved range (0.0.0.0/8,
     * 255.255.255.255, 224.0.0.0/4, 240.0.0.0/4, ::/128, ff00::/8; a v4-mapped address is its IPv4
     * form). A log line that names one is forged or broken, and must not open the relay to
     * whatever a stack makes of it. Loopback is a client's address (a webmail on the same host).
     */
    public static String notAClient(String canonical) {
        var b = bytesOrNull(canonical);
        if (b == null) {
            return "not an IP address";
        }
        if (b.length == 16) {
            if (Arrays.equals(b, new byte[16])) {
                return "the unspecified address";
            }
            return (b[0] & 0xff) == 0xff ? "a multicast address" : null;
        }
        int first = b[0] & 0xff;
        if (first == 0) {
            return "in 0.0.0.0/8 (this network, unspecified)";
        }
        if (first == 255 && (b[1] & b[2] & b[3] & 0xff) == 0xff) {
            return "the broadcast address";
        }
        if (first >= 224 && first < 240) {
            return "a multicast address";
        }
        return first >= 240 ? "in 240.0.0.0/4 (reserved)" : null;
    }

    /** 4 or 16 bytes in network order, or null when {@code text} is not a literal address. */
    public static byte[] bytesOrNull(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT) {
            return null;
        }
        return text.indexOf(':') >= 0 ? parseV6(text) : parseV4(text, 0, text.length());
    }

    /** The text form of 4 or 16 address bytes; a v4-mapped IPv6 address becomes IPv4. */
    public static String format(byte[] b) {
        if (b.length == 16 && isV4Mapped(b)) {
            return formatV4(b, 12);
        }
        return b.length == 4 ? formatV4(b, 0) : formatV6(b, 2);
    }

    /**
     * As {@link #format}, but a single zero group is written {@code ::} too: the form
     * ucspi-tcp-ipv6's tcpserver gives TCPREMOTEIP and looks up in its rules.
     */
    public static String formatAsTcpserver(byte[] b) {
        if (b.length == 16 && isV4Mapped(b)) {
            return formatV4(b, 12);
        }
        return b.length == 4 ? formatV4(b, 0) : formatV6(b, 1);
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    private static String formatV4(byte[] b, int off) {
        return (b[off] & 0xff) + "." + (b[off + 1] & 0xff) + "." + (b[off + 2] & 0xff) + "." + (b[off + 3] & 0xff);
    }

    /** IPv6 text; the longest run of at least {@code shortestRun} zero groups (the first on a tie) is {@code ::}. */
    private static String formatV6(byte[] b, int shortestRun) {
        var groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        // RFC 5952 4.2 compresses runs of two or more zero groups; tcpserver compresses one too.
        int bestStart = -1;
        int bestLen = shortestRun - 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        var sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    private static byte[] parseV4(String s, int from, int to) {
        var out = new byte[4];
        int part = 0;
        int i = from;
        while (part < 4) {
            int start = i;
            int value = 0;
            while (i < to && i - start < 4) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    break;
                }
                value = value * 10 + (c - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
                return null;
            }
            out[part++] = (byte) value;
            if (part < 4) {
                if (i >= to || s.charAt(i) != '.') {
                    return null;
                }
                i++;
            }
        }
        return i == to ? out : null;
    }

    /** ASCII only: Character.digit would accept other scripts' digits. */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static byte[] parseV6(String s) {
        var out = new byte[16];
        int n = s.length();
        int group = 0;
        int gap = -1;
        int i = 0;
        if (s.startsWith("::")) {
            gap = 0;
            i = 2;
            if (i == n) {
                return out;
            }
        } else if (s.charAt(0) == ':') {
            return null;
        }
        while (i < n) {
            if (group == 8) {
                return null;
            }
            int start = i;
            int value = 0;
            while (i < n && hexDigit(s.charAt(i)) >= 0 && i - start < 5) {
                value = (value << 4) | hexDigit(s.charAt(i));
                i++;
            }
            if (i < n && s.charAt(i) == '.') {
                // Trailing dotted quad: ::ffff:1.2.3.4 and friends.
                if (group > 6) {
                    return null;
                }
                var v4 = parseV4(s, start, n);
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, 2 * group, 4);
                group += 2;
                i = n;
                break;
            }
            int digits = i - start;
            if (digits == 0 || digits > 4) {
                return null;
            }
            out[2 * group] = (byte) (value >> 8);
            out[2 * group + 1] = (byte) value;
            group++;
            if (i == n) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < n && s.charAt(i) == ':') {
                if (gap >= 0) {
                    return null;
                }
                gap = group;
                i++;
            } else if (i == n) {
                return null;
            }
        }
        if (gap < 0) {
            return group == 8 ? out : null;
        }
        if (group == 8) {
            return null;
        }
        int tail = group - gap;
        System.arraycopy(out, 2 * gap, out, 16 - 2 * tail, 2 * tail);
        Arrays.fill(out, 2 * gap, 16 - 2 * tail, (byte) 0);
        return out;
    }
}
