package org.poplock.common.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * One client address that may relay: who logged in from it, when, and until when it may relay.
 * The expiry is stored rather than derived so that a reader needs no configuration to decide,
 * and is checked at read time so an entry that no sweep has removed yet still never grants relay.
 */
public record RelayEntry(String ip, String user, Instant login, Instant expiry) {

    private static final byte FORMAT = 1;
    private static final int HEADER = 1 + 8 + 8;

    public RelayEntry {
        if (ip == null || user == null || login == null || expiry == null) {
            throw new IllegalArgumentException("relay entry needs ip, user, login and expiry");
        }
        if (expiry.isBefore(login)) {
            throw new IllegalArgumentException("relay entry for " + ip + " expires before its login");
        }
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

    /** The value stored under the address key: format, login and expiry in ms, the user in UTF-8. */
    public byte[] encodeValue() {
        var userBytes = user.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(HEADER + userBytes.length)
                .put(FORMAT)
                .putLong(login.toEpochMilli())
                .putLong(expiry.toEpochMilli())
                .put(userBytes)
                .array();
    }

    /** The expiry (ms since the epoch) of an encoded entry, read without decoding it. */
    public static long expiryMillis(byte[] encoded) {
        if (encoded.length < HEADER || encoded[0] != FORMAT) {
            throw new IllegalArgumentException("relay entry is not in format " + FORMAT);
        }
        return ByteBuffer.wrap(encoded, 9, 8).getLong();
    }

    /** An encoded entry without its user name: what relaylock's database stores. */
    public static byte[] withoutUser(byte[] encoded) {
        return encoded.length <= HEADER ? encoded : java.util.Arrays.copyOf(encoded, HEADER);
    }

    /** Decodes a stored value; throws IllegalArgumentException for anything this version did not write. */
    public static RelayEntry decode(String ip, byte[] value) {
        if (value == null || value.length < HEADER || value[0] != FORMAT) {
            throw new IllegalArgumentException("relay entry for " + ip + " is not in format " + FORMAT);
        }
        var buf = ByteBuffer.wrap(value);
        buf.get();
        var login = Instant.ofEpochMilli(buf.getLong());
        var expiry = Instant.ofEpochMilli(buf.getLong());
        var user = new String(value, HEADER, value.length - HEADER, StandardCharsets.UTF_8);
        return new RelayEntry(ip, user, login, expiry);
    }
}
