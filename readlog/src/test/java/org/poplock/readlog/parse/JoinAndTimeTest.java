package org.poplock.readlog.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Two-line logins (popa3d) join only within {@link LoginParser#PENDING_JOIN}; a login says whether its time is its own. */
class JoinAndTimeTest {

    private final Instant now = Instant.parse("2026-11-22T12:00:00Z");
    private final LoginParser parser = new LoginParser(ServerDefinition.builtIn(), Clock.fixed(now, ZoneOffset.UTC));

    @Test
    void aSessionLineJoinsALoginLineOfTheSameProcessSoonAfter() {
        assertEquals(Optional.empty(), parser.parse("2026-11-22T11:00:01+00:00 mail popa3d[1801]: Session from 203.0.113.66"));
        var login = parser.parse("2026-11-22T11:00:09+00:00 mail popa3d[1801]: Authentication passed for alice").orElseThrow();
        assertEquals("203.0.113.66", login.ip());
        assertEquals(Instant.parse("2026-11-22T11:00:09Z"), login.time());
        assertTrue(login.timed());
    }

    @Test
    void aSessionLineLongAgoJoinsNothing() {
        parser.parse("2026-11-22T11:00:01+00:00 mail popa3d[1801]: Session from 203.0.113.66");
        assertEquals(Optional.empty(), parser.parse("2026-11-22T11:30:00+00:00 mail popa3d[1801]: Authentication passed for alice"),
                "pid 1801 was long reused; its new session line was lost");
        parser.parse("2026-11-22T11:40:00+00:00 mail popa3d[1802]: Session from 203.0.113.67");
        assertTrue(parser.parse("2026-11-22T11:42:00+00:00 mail popa3d[1802]: Authentication passed for bob").isPresent(),
                "two minutes is still the same session");
    }

    @Test
    void linesLostForgetTheWaitingSessionLines() {
        parser.parse("2026-11-22T11:59:59+00:00 mail popa3d[1803]: Session from 203.0.113.68");
        parser.forgetPendingJoins();
        assertEquals(Optional.empty(), parser.parse("2026-11-22T12:00:00+00:00 mail popa3d[1803]: Authentication passed for carol"));
    }

    @Test
    void aLineWithoutTimeGivesALoginOfUnknownTime() {
        var login = parser.parse("INFO: LOGIN, user=olduser, ip=[198.51.100.200], port=[4000]").orElseThrow();
        assertFalse(login.timed());
        assertEquals(now, login.time(), "read now");
    }
}
