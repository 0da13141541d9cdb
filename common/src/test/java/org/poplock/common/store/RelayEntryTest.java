package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** An entry's value read back whole, and its user alone as the policy service's sender check reads it. */
class RelayEntryTest {

    private final Instant now = Instant.parse("2026-12-05T10:00:00Z");

    @Test
    void anEntryAndItsUserAloneReadBackWithAndWithoutAnOrigin() {
        for (var entry : new RelayEntry[] {RelayEntry.of("192.0.2.7", "al ice", now, Duration.ofMinutes(15)),
                new RelayEntry("2001:db8::7", "bøb", now, now.plusSeconds(60), "pop-b.example"), RelayEntry.of("192.0.2.8", "", now, Duration.ZERO)}) {
            var value = entry.encodeValue();
            assertEquals(entry, RelayEntry.decode(entry.ip(), value));
            assertEquals(entry.user(), RelayEntry.user(entry.ip(), value));
        }
    }

    @Test
    void aValueOfAnotherFormatOrAnOriginPastTheEndIsRefused() {
        var value = new RelayEntry("192.0.2.7", "alice", now, now, "pop-b").encodeValue();
        value[17] = 100; // the origin's length, past the end
        assertThrows(IllegalArgumentException.class, () -> RelayEntry.user("192.0.2.7", value));
        assertThrows(IllegalArgumentException.class, () -> RelayEntry.user("192.0.2.7", new byte[] {9, 0, 0}));
    }
}
