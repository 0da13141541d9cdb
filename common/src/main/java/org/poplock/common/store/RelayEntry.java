package org.poplock.common.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * One client address that may relay: who logged in from it, when, and until when it may relay.
 * The expiry is stored rather than derived so that a reader needs no configuration to decide,
 * and is checked at read time so an entry that no sweep has removed yet still never grants relay.
 */
public record RelayEntry(String ip, String user, Instant login, Instant expiry, String origin) {

    private static final byte FORMAT = 1;
    /** Format 1 with the name of the cluster host the grant came from ({@code origin}) before the user. */
    private static final byte WITH_ORIGIN = 2;
    private static final int HEADER = 1 + 8 + 8;

    public RelayEntry {
        if (ip == null || user == null || login == null || expiry == null) {
            throw new IllegalArgumentException("relay entry needs ip, user, login and expiry");
        }
        if (expiry.isBefore(login)) {
            throw new IllegalArgumentException("relay entry for " + ip + " expires before its login");
        }
        origin = origin == null ? "" : origin;
        if (origin.length() > 255) {
            throw new IllegalArgumentException("relay entry for " + ip + ": origin host name longer than 255");
        }
    }

    /** An entry of this host's own (no origin). */
    public RelayEntry(String ip, String user, Instant login, Instant expiry) {
        this(ip, user, login, expiry, "");
    }

    /** The same grant, as having come from {@code host}. */
    public RelayEntry from(String host) {
        return new RelayEntry(ip, user, login, expiry, host);
    }

    public static RelayEntry of(String ip, String user, Instant login, Duration timeout) {
        return new RelayEntry(ip, user, login, login.plus(timeout));
    }

    public boolean isLiveAt(Instant now) {
        return now.isBefore(expiry);
    }

    public Duration timeLeftAt(Instant now) {
        return isLiveAt(now) ? Duration.between(now, expiry) : Duration.ZERO;
    }

    /**
     * The value stored under the address key: format, login and expiry in ms, then (format 2) the
     * origin's length and name in ASCII, then the user in UTF-8.
     */
    public byte[] encodeValue() {
        var userBytes = user.getBytes(StandardCharsets.UTF_8);
        var originBytes = origin.getBytes(StandardCharsets.US_ASCII);
        var out = ByteBuffer.allocate(HEADER + (origin.isEmpty() ? 0 : 1 + originBytes.length) + userBytes.length)
                .put(origin.isEmpty() ? FORMAT : WITH_ORIGIN)
                .putLong(login.toEpochMilli())
                .putLong(expiry.toEpochMilli());
        if (!origin.isEmpty()) {
            out.put((byte) originBytes.length).put(originBytes);
        }
        return out.put(userBytes).array();
    }

    /** The expiry (ms since the epoch) of an encoded entry, read without decoding it. */
    public static long expiryMillis(byte[] encoded) {
        if (encoded.length < HEADER || encoded[0] != FORMAT && encoded[0] != WITH_ORIGIN) {
            throw new IllegalArgumentException("relay entry is not in format " + FORMAT);
        }
        return ByteBuffer.wrap(encoded, 9, 8).getLong();
    }

    /** The login time (ms since the epoch) of an encoded entry, read without decoding it. */
    public static long loginMillis(byte[] encoded) {
        expiryMillis(encoded); // checks the format
        return ByteBuffer.wrap(encoded, 1, 8).getLong();
    }

    /** An encoded entry without its user name or origin: what relaylock's database stores. */
    public static byte[] withoutUser(byte[] encoded) {
        if (encoded.length <= HEADER && encoded.length > 0 && encoded[0] == FORMAT) {
            return encoded;
        }
        var out = Arrays.copyOf(encoded, HEADER);
        out[0] = FORMAT;
        return out;
    }

    /** Decodes a stored value; throws IllegalArgumentException for anything this version did not write. */
    public static RelayEntry decode(String ip, byte[] value) {
        int userStart = userStart(ip, value);
        var buf = ByteBuffer.wrap(value);
        buf.get();
        var login = Instant.ofEpochMilli(buf.getLong());
        var expiry = Instant.ofEpochMilli(buf.getLong());
        var origin = userStart == HEADER ? "" : new String(value, HEADER + 1, userStart - HEADER - 1, StandardCharsets.US_ASCII);
        var user = new String(value, userStart, value.length - userStart, StandardCharsets.UTF_8);
        return new RelayEntry(ip, user, login, expiry, origin);
    }

    /** The user of an encoded entry alone, as {@link #decode} reads it: the policy service's sender check asks it at every request. */
    public static String user(String ip, byte[] value) {
        int userStart = userStart(ip, value);
        return new String(value, userStart, value.length - userStart, StandardCharsets.UTF_8);
    }

    /** Where an encoded entry's user begins: after the header and, when it has one, the origin. */
    private static int userStart(String ip, byte[] value) {
        if (value == null || value.length < HEADER || value[0] != FORMAT && value[0] != WITH_ORIGIN) {
            throw new IllegalArgumentException("relay entry for " + ip + " is not in format " + FORMAT);
        }
        if (value[0] == WITH_ORIGIN && value.length > HEADER) {
            int length = value[HEADER] & 0xff;
            if (HEADER + 1 + length > value.length) {
                throw new IllegalArgumentException("relay entry for " + ip + ": origin past the end");
            }
            return HEADER + 1 + length;
        }
        return HEADER;
    }
}
