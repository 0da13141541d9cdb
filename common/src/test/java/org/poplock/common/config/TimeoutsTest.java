package org.poplock.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TimeoutsTest {

    @ParameterizedTest(name = "{0} = {1}s")
    @CsvSource({"900,900", "900s,900", "15m,900", "1h,3600", "1h30m,5400", "2d,172800", "1m5s,65"})
    void parsesAdminDurations(String text, long seconds) {
        assertEquals(Duration.ofSeconds(seconds), Timeouts.parse(text));
        assertEquals(Duration.ofSeconds(seconds), Timeouts.parse(Timeouts.format(Duration.ofSeconds(seconds))));
    }

    @ParameterizedTest(name = "rejects [{0}]")
    @ValueSource(strings = {"", "0", "0s", "m", "15x", "-5m", "1.5h", "9999999999s", "15 m"})
    void rejectsNonsense(String text) {
        assertThrows(IllegalArgumentException.class, () -> Timeouts.parse(text));
    }
}
