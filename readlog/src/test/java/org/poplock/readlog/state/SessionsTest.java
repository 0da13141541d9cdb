package org.poplock.readlog.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionsTest {

    final Instant now = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void aSessionIsOpenUntilClosedOrTooOld() {
        var sessions = new Sessions();
        sessions.opened("dovecot a", "192.0.2.1", now);
        sessions.opened("dovecot b", "192.0.2.2", now.minus(Duration.ofHours(13)));
        assertEquals(List.of("192.0.2.1"), sessions.openAddresses(now, Duration.ofHours(12)), "b is past --keep-at-most");
        sessions.closed("dovecot a");
        assertEquals(List.of(), sessions.openAddresses(now, Duration.ofHours(12)));
    }
}
