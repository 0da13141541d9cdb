package org.poplock.readlog.journal;

import java.time.Instant;
import java.util.Map;

/**
 * One entry of the systemd journal as {@code journalctl -o export} gives it: its cursor, its own
 * time ({@code __REALTIME_TIMESTAMP}) and the fields readlog looks at. Field values are attacker
 * input as much as a log line is; only the trusted ones ({@code _UID}, {@code _EXE}, ...) were
 * set by journald rather than by the sender. {@code time} is null when the entry's
 * {@code __REALTIME_TIMESTAMP} is out of range: such an entry cannot be read.
 */
public record JournalEntry(String cursor, Instant time, Map<String, String> fields) {

    public JournalEntry {
        fields = Map.copyOf(fields);
    }

    public String field(String name) {
        return fields.get(name);
    }
}
