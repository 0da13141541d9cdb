package org.poplock.readlog.socketmap;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.poplock.common.address.IpAddress;

/**
 * The socketmap protocol of sendmail's {@code socket} map class, Postfix's {@code socketmap:}
 * table and OpenSMTPD's socketmap table: a request is one netstring ({@code LENGTH:TEXT,}) whose
 * text is {@code MAPNAME KEY}; a reply is one netstring {@code OK VALUE}, {@code NOTFOUND },
 * {@code TEMP REASON} or {@code PERM REASON}. No I/O here: bytes in, a request or a reply out.
 */
public final class SocketmapCodec {

    /** A request's text at most: a map name and an address are well under 100 bytes. */
    public static final int MAX_REQUEST = 1024;
    /** The digits of a length up to {@link #MAX_REQUEST}. */
    private static final int MAX_DIGITS = 4;

    private SocketmapCodec() {
    }

    /** A lookup: the map's name as the MTA calls it, and the key, both printable ASCII. */
    public record Request(String map, String key) {
    }

    /**
     * What the bytes {@code b[0..len)} begin with: a whole request and the bytes it took; or
     * trouble (a reason: the client gets PERM and is closed); or, when they are a request's
     * beginning, neither ({@link #MORE}).
     */
    public record Decoded(Request request, int consumed, String trouble) {
    }

    /** Not yet a whole request: read more. */
    public static final Decoded MORE = new Decoded(null, 0, null);

    public static Decoded decode(byte[] b, int len) {
        int digits = 0;
        while (digits < len && b[digits] >= '0' && b[digits] <= '9') {
            digits++;
            if (digits > MAX_DIGITS) {
                return trouble("a request over " + MAX_REQUEST + " bytes");
            }
        }
        if (digits == len) {
            return MORE;
        }
        if (digits == 0 || b[digits] != ':') {
            return trouble("not a netstring");
        }
        if (digits > 1 && b[0] == '0') {
            return trouble("not a netstring (a length with a leading zero)");
        }
        int length = Integer.parseInt(new String(b, 0, digits, StandardCharsets.US_ASCII));
        if (length > MAX_REQUEST) {
            return trouble("a request over " + MAX_REQUEST + " bytes");
        }
        int start = digits + 1;
        if (len < start + length + 1) {
            return MORE;
        }
        if (b[start + length] != ',') {
            return trouble("not a netstring (no comma after its text)");
        }
        int space = -1;
        for (int i = start; i < start + length; i++) {
            int c = b[i] & 0xff;
            if (c < 0x20 || c > 0x7e) {
                return trouble("a request that is not printable text");
            }
            if (c == ' ' && space < 0) {
                space = i;
            }
        }
        if (space <= start) {
            return trouble("a request that is not MAPNAME KEY");
        }
        var map = new String(b, start, space - start, StandardCharsets.US_ASCII);
        var key = new String(b, space + 1, start + length - space - 1, StandardCharsets.US_ASCII);
        return new Decoded(new Request(map, key), start + length + 1, null);
    }

    private static Decoded trouble(String why) {
        return new Decoded(null, 0, why);
    }

    /**
     * The canonical client address a key names, or null: a bare address, or the forms sendmail
     * builds ({@code Connect:} as in its access map, {@code IPv6:} before an IPv6 address, both),
     * an IPv4-mapped IPv6 address as its IPv4 form; letters in the prefixes in any case.
     */
    public static String address(String key) {
        var rest = stripPrefix(key, "connect:");
        rest = stripPrefix(rest, "ipv6:");
        var bytes = IpAddress.bytesOrNull(rest);
        return bytes == null ? null : IpAddress.format(bytes);
    }

    private static String stripPrefix(String text, String lowerPrefix) {
        return text.length() >= lowerPrefix.length() && text.substring(0, lowerPrefix.length()).toLowerCase(Locale.ROOT).equals(lowerPrefix)
                ? text.substring(lowerPrefix.length()) : text;
    }

    /** {@code OK value}, as a netstring. */
    public static byte[] found(String value) {
        return netstring("OK " + value);
    }

    /** {@code NOTFOUND } (with its space, as the protocol writes it), as a netstring. */
    public static byte[] notFound() {
        return netstring("NOTFOUND ");
    }

    /** {@code PERM reason}, as a netstring. */
    public static byte[] perm(String reason) {
        return netstring("PERM " + reason);
    }

    static byte[] netstring(String text) {
        var bytes = text.getBytes(StandardCharsets.US_ASCII);
        var head = (bytes.length + ":").getBytes(StandardCharsets.US_ASCII);
        var out = new byte[head.length + bytes.length + 1];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(bytes, 0, out, head.length, bytes.length);
        out[out.length - 1] = ',';
        return out;
    }
}
