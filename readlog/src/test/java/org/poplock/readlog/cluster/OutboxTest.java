package org.poplock.readlog.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The outbox the state saved: a damaged item is not sent, and said; in a long outage it keeps the newest changes only. */
class OutboxTest {

    @Test
    void aDamagedItemIsDroppedWithOneLineAndTheOthersAreSent() {
        var at = Instant.parse("2026-12-01T10:00:00Z");
        var good = ClusterEvent.remove("192.0.2.1", "pop-a", at).encode().getBytes(StandardCharsets.UTF_8);
        var said = new ArrayList<String>();
        var outbox = Outbox.from(Map.of(Outbox.ITEM + String.format("%019d", 1), good,
                Outbox.ITEM + String.format("%019d", 2), "GRANT\t192.0.2.2\tnot a time".getBytes(StandardCharsets.UTF_8),
                Outbox.ITEM + String.format("%019d", 3), good), said::add);
        assertEquals(2, outbox.size());
        assertEquals(List.of("cluster: 1 damaged changes in the saved outbox are not sent (the last: \"0000000000000000002\": "
                + "IllegalArgumentException \"outbox line has 3 fields\")"), said);
    }

    @Test
    void pastItsCapTheOldestChangesGoWhileQueuedAndWhenLoaded() {
        var at = Instant.parse("2026-12-01T10:00:00Z");
        var outbox = Outbox.from(Map.of(), line -> { });
        for (int i = 0; i <= Outbox.LIMIT; i++) {
            outbox.add(ClusterEvent.remove("10." + (i >> 16) + "." + (i >> 8 & 255) + "." + (i & 255), "pop-a", at));
        }
        assertEquals(Outbox.LIMIT, outbox.size());
        assertEquals(1, outbox.dropped());
        var saved = outbox.records(null);
        assertEquals(Outbox.ITEM + String.format("%019d", 2), saved.firstKey(), "the oldest went");

        var said = new ArrayList<String>();
        var more = new TreeMap<>(saved);
        more.put(Outbox.ITEM + String.format("%019d", 1), saved.get(saved.firstKey()));
        var loaded = Outbox.from(more, said::add);
        assertEquals(Outbox.LIMIT, loaded.size(), "a saved outbox over the cap is cut when loaded");
        assertEquals(Outbox.ITEM + String.format("%019d", 2), loaded.records(null).firstKey());
    }
}
