package org.poplock.readlog.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The outbox the state saved: a damaged item is not sent, and said. */
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
}
