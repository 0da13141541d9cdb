package org.poplock.readlog.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogStampsTest {

    private final LogStamps utc = new LogStamps(Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "Nov 22 03:51:47 pop3-login: x|2026-11-22T03:51:47Z|pop3-login: x",
        "Nov  2 09:54:53 host dovecot: x|2026-11-02T09:54:53Z|host dovecot: x",
        "2026-11-22T03:59:00.215971+00:00 host dovecot: x|2026-11-22T03:59:00.215971Z|host dovecot: x",
        "2026-11-22T04:59:00+01:00 host x|2026-11-22T03:59:00Z|host x",
        "2026-11-22T03:59:00+0000 host x|2026-11-22T03:59:00Z|host x",
        "2026-11-22T03:59:00Z host x|2026-11-22T03:59:00Z|host x",
        "2026-11-22 09:29:00,5+05:30 host x|2026-11-22T03:59:00.500Z|host x",
        "2026-01-01T00:00:00.000000001-0130 host x|2026-01-01T01:30:00.000000001Z|host x",
        "2024-02-29T23:59:59.123456789+00:00 host x|2024-02-29T23:59:59.123456789Z|host x",
        "@40000000694044051dcd6500 vchkpw: x|2025-12-15T17:23:07.500Z|vchkpw: x",
    })
    void readsTheLinesOwnTime(String line, String time, String message) {
        var s = utc.split(line);
        assertEquals(Instant.parse(time), s.time());
        assertEquals(message, s.message());
    }

    @Test
    void tai64nReachesTheYears0000To9999AndNoFurther() {
        assertEquals(Instant.parse("0000-01-01T00:00:00Z"), utc.split(String.format("@%016x00000000 x", 0x400000000000000aL - 62_167_219_200L)).time());
        assertEquals(Instant.parse("9999-12-31T23:59:59Z"), utc.split(String.format("@%016x00000000 x", 0x400000000000000aL + 253_402_300_799L)).time());
        assertThrows(IllegalArgumentException.class, () -> utc.split(String.format("@%016x00000000 x", 0x400000000000000aL + 253_402_300_800L)));
        assertThrows(IllegalArgumentException.class, () -> utc.split(String.format("@%016x00000000 x", 0x400000000000000aL - 62_167_219_201L)));
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource({"@000000000000000000000000 x", "@3ffffff00000000000000000 x", "@ffffffffffffffff00000000 x", "@7fffffffffffffff3b9ac9ff x"})
    void aTai64nLabelOutOfRangeIsRefusedInOneLine(String line) {
        var e = assertThrows(IllegalArgumentException.class, () -> utc.split(line));
        assertEquals("its TAI64N label " + line.substring(0, 17) + " is no time in the years 0000 to 9999", e.getMessage());
    }

    @Test
    void syslogYearIsNeverInTheFuture() {
        var january = new LogStamps(Clock.fixed(Instant.parse("2027-01-01T00:10:00Z"), ZoneOffset.UTC));
        assertEquals(Instant.parse("2026-12-31T23:59:59Z"), january.split("Dec 31 23:59:59 x").time());
        assertEquals(Instant.parse("2027-01-01T00:09:00Z"), january.split("Jan  1 00:09:00 x").time());
    }

    @Test
    void syslogTimeIsLocalTime() {
        var berlin = new LogStamps(Clock.fixed(Instant.parse("2026-07-01T12:00:00Z"), ZoneId.of("Europe/Berlin")));
        assertEquals(Instant.parse("2026-07-01T08:00:00Z"), berlin.split("Jul  1 10:00:00 x").time());
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(delimiter = '|', value = {"pop3-login: Login: x", "Foo 22 03:51:47 x", "Nov 32 03:51:47 x",
        "2026-13-22T03:59:00Z x", "@4000zz x", "Feb 30 10:00:00 x",
        "2026-02-29T10:00:00Z x", "2026-11-22T24:00:00Z x", "2026-11-22T03:60:00Z x", "2026-11-22T03:59:60Z x", "2026-11-22T03:59:00+19:00 x"})
    void unstampedOrInvalidStampKeepsTheWholeLine(String line) {
        var s = utc.split(line);
        assertNull(s.time());
        assertEquals(line, s.message());
    }
}
