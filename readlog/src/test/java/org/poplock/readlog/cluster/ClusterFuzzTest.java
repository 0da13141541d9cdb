package org.poplock.readlog.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import org.poplock.common.address.HostName;
import org.poplock.common.address.IpAddress;
import org.poplock.common.address.UserName;

/**
 * What other hosts put in Redis, as readlog takes it: stream entries (the input's lines are the
 * entry's {@code name=value} fields) and grant keys (the input's first line is the address after the
 * key's prefix, the rest its value). Only the documented IllegalArgumentException; an event read
 * names a canonical address, a grant only a client's and only the key's own, with an expiry after
 * now and within the longest grant; and its fields read back as the same event.
 */
class ClusterFuzzTest {

    private final Instant now = Instant.parse("2026-12-01T10:00:00Z");
    private final Duration longest = Duration.ofMinutes(15);

    @FuzzTest(maxDuration = "10m")
    void streamEntry(byte[] input) {
        var fields = new LinkedHashMap<String, String>();
        for (var line : new String(input, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq >= 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        ClusterEvent event;
        try {
            event = ClusterEvent.parse(fields, now, longest);
        } catch (IllegalArgumentException e) {
            return;
        }
        check(event);
        assertEquals(event, ClusterEvent.parse(event.fields(), now, longest));
    }

    /** A key's name and its value from one input: its first line, and the rest. */
    private static String[] keyAndValue(byte[] input) {
        var text = new String(input, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        return nl < 0 ? new String[] {text, ""} : new String[] {text.substring(0, nl), text.substring(nl + 1)};
    }

    @FuzzTest(maxDuration = "10m")
    void grantKey(byte[] input) {
        var key = keyAndValue(input);
        ClusterEvent event;
        try {
            event = ClusterEvent.ofGrantKey(key[0], key[1], now, longest);
        } catch (IllegalArgumentException e) {
            return;
        }
        assertEquals(ClusterEvent.Op.GRANT, event.op());
        assertEquals(key[0], event.ip(), "a grant for another address than its key's");
        check(event);
    }

    @FuzzTest(maxDuration = "10m")
    void flagKey(byte[] input) {
        var key = keyAndValue(input);
        ClusterEvent event;
        try {
            event = ClusterEvent.ofFlagKey(key[0], key[1], now);
        } catch (IllegalArgumentException e) {
            return;
        }
        assertEquals(ClusterEvent.Op.FLAG, event.op());
        assertEquals(key[0], event.user(), "a flag for another user than its key's");
        check(event);
    }

    private void check(ClusterEvent event) {
        assertTrue(HostName.isValid(event.host()), event.host());
        if (event.op() == ClusterEvent.Op.FLUSH) {
            return;
        }
        if (event.op() == ClusterEvent.Op.FLAG || event.op() == ClusterEvent.Op.UNFLAG) {
            assertTrue(UserName.isValid(event.user()) && !event.user().isEmpty(), event.user());
            assertTrue(event.op() == ClusterEvent.Op.UNFLAG || event.expiry().isAfter(now), event.expiry().toString());
            return;
        }
        var bytes = IpAddress.bytesOrNull(event.ip());
        assertTrue(bytes != null && IpAddress.format(bytes).equals(event.ip()), "not canonical: " + event.ip());
        if (event.op() == ClusterEvent.Op.GRANT) {
            assertNull(IpAddress.notAClient(event.ip()), event.ip());
            assertTrue(event.expiry().isAfter(now) && !event.expiry().isAfter(now.plus(longest).plus(ClusterEvent.SKEW)), event.expiry().toString());
            assertFalse(event.expiry().isBefore(event.login()));
            assertTrue(UserName.isValid(event.user()), event.user());
        }
    }
}
