package org.poplock.readlog.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.poplock.common.store.RelayEntry;

class ClusterEventTest {

    private final Instant now = Instant.parse("2026-12-01T10:00:00Z");
    private final Duration longest = Duration.ofMinutes(15);

    private Map<String, String> grant() {
        return new HashMap<>(ClusterEvent.grant(RelayEntry.of("192.0.2.1", "alice", now, longest), "pop-a").fields());
    }

    @Test
    void aGrantSurvivesItsStreamFieldsAndTheOutboxLine() {
        var event = ClusterEvent.grant(RelayEntry.of("2001:db8::1", "al ice", now, longest), "pop-a");
        assertEquals(event, ClusterEvent.parse(event.fields(), now, longest));
        assertEquals(event, ClusterEvent.decode(event.encode()));
        assertEquals("pop-a", event.entry().origin());
    }

    @Test
    void aFlagAndItsLiftingSurviveTheirStreamFieldsAndTheOutboxLine() {
        var flag = ClusterEvent.flag("alice", now.plus(Duration.ofHours(24)), "pop-a", now);
        assertEquals(flag, ClusterEvent.parse(flag.fields(), now, longest), "a flag lasts beyond the longest grant");
        assertEquals(flag, ClusterEvent.decode(flag.encode()));
        var unflag = ClusterEvent.unflag("alice", "pop-b", now);
        assertEquals(unflag, ClusterEvent.parse(unflag.fields(), now, longest));
        assertEquals(unflag, ClusterEvent.decode(unflag.encode()));
        assertEquals(ClusterEvent.flag("alice", now.plus(Duration.ofHours(24)), "pop-a", now),
                ClusterEvent.ofFlagKey("alice", now.plus(Duration.ofHours(24)).toEpochMilli() + " pop-a", now), "a flag key");
        assertThrows(IllegalArgumentException.class, () -> ClusterEvent.ofFlagKey("alice", "soon pop-a", now));
        assertThrows(IllegalArgumentException.class, () -> ClusterEvent.ofFlagKey("alice", now.toEpochMilli() + " pop-a", now));
        var past = new HashMap<>(flag.fields());
        past.put("expiry", "" + now.toEpochMilli());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClusterEvent.parse(past, now, longest)).getMessage().contains("past"));
        var nobody = new HashMap<>(flag.fields());
        nobody.put("user", "");
        assertThrows(IllegalArgumentException.class, () -> ClusterEvent.parse(nobody, now, longest));
        var escape = new HashMap<>(unflag.fields());
        escape.put("user", "x\u001b[31m");
        assertThrows(IllegalArgumentException.class, () -> ClusterEvent.parse(escape, now, longest));
    }

    @Test
    void everyKindOfHostileFieldIsRefusedWithAReason() {
        var cases = Map.of(
                "ip", "192.0.2.001", "expiry", "" + now.minusSeconds(1).toEpochMilli(), "login", "0x10", "op", "GRANTALL",
                "host", "a\nb", "user", "x\u001b[31m");
        cases.forEach((field, value) -> {
            var fields = grant();
            fields.put(field, value);
            var e = assertThrows(IllegalArgumentException.class, () -> ClusterEvent.parse(fields, now, longest), field);
            assertFalse(e.getMessage().isBlank());
            assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\u001b"), "the reason is one printable line: " + e.getMessage());
        });
        var far = grant();
        far.put("expiry", "" + now.plus(longest).plus(Duration.ofMinutes(2)).toEpochMilli());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClusterEvent.parse(far, now, longest)).getMessage().contains("longest"));
        var huge = grant();
        huge.put("user", "u".repeat(ClusterEvent.MAX_FIELD + 1));
        assertThrows(IllegalArgumentException.class, () -> ClusterEvent.parse(huge, now, longest));
        var multicast = grant();
        multicast.put("ip", "224.0.0.1");
        assertThrows(IllegalArgumentException.class, () -> ClusterEvent.parse(multicast, now, longest));
    }

    @Test
    void aStreamPositionIsLostOnlyWhenTrimmedOrStartedOver() {
        assertFalse(new StreamState("5-0", "0-0", 5, 5, true).lostSince("3-0"), "the entry at our position is still there");
        assertTrue(new StreamState("5-0", "0-0", 5, 2, false).lostSince("3-0"), "trimmed past us");
        assertFalse(new StreamState("3-0", "0-0", 3, 0, false).lostSince("3-0"), "trimmed, but nothing came after us");
        assertTrue(new StreamState("2-0", "0-0", 2, 2, false).lostSince("3-0"), "a Redis that came back empty");
        assertTrue(new StreamState("9-0", "0-0", 9, 4, false).lostSince("0-0"), "from the start, with some trimmed");
        assertFalse(new StreamState("9-0", "0-0", 9, 9, false).lostSince("0-0"));
        assertTrue(StreamState.compare("10-0", "9-5") > 0, "ids compare as numbers");
    }
}
