package org.poplock.readlog.journal;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * {@code journalctl -o export} as readlog reads it, from bytes anyone who can log (or upload to
 * systemd-journal-remote) shapes. Only the documented IOException; every entry has a cursor and a
 * time, and holds only the fields readlog uses, each no longer than the bound or marked too long.
 */
class ExportFormatFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void exportFormat(byte[] input) {
        var format = new ExportFormat(new ByteArrayInputStream(input));
        try {
            for (int entries = 0; ; entries++) {
                assertTrue(entries <= input.length / 2, "more entries than the bytes can hold");
                var entry = format.next();
                if (entry == null) {
                    return;
                }
                assertNotNull(entry.cursor());
                // null: a __REALTIME_TIMESTAMP past the year 9999, which the reader drops and counts
                assertTrue(entry.time() == null || entry.time().getEpochSecond() <= ExportFormat.MAX_REALTIME / 1_000_000, "a time out of range");
                entry.fields().forEach((name, value) -> {
                    assertTrue(ExportFormat.FIELDS.contains(name) && !name.equals("__CURSOR") && !name.equals("__REALTIME_TIMESTAMP"), name);
                    assertTrue(value.equals(ExportFormat.TOO_LONG) || value.length() <= ExportFormat.MAX_VALUE, name);
                });
            }
        } catch (IOException e) {
            // documented: damaged or cut off
        }
    }
}
