package org.poplock.readlog.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class FlagsTest {

    @Test
    void moreThanKNetworksWithinAnHourFlagAUserUntilTheFlagEndsOrIsLifted() {
        var flags = new Flags(3, 60_000);
        long t = 1_000_000;
        for (int i = 0; i < 50; i++) {
            assertFalse(flags.seen("alice", "192.0.2." + i, t + i), "one /24 is one network");
        }
        assertFalse(flags.seen("bob", "198.51.100.1", t));
        assertFalse(flags.seen("bob", "203.0.113.1", t));
        assertFalse(flags.seen("bob", "2001:db8:1::1", t));
        assertFalse(flags.seen("bob", "2001:db8:1:ffff::2", t), "one /48 is one network");
        assertTrue(flags.seen("bob", "2001:db8:2::1", t + 1), "the fourth network");
        assertTrue(flags.isFlagged("bob", t + 2));
        assertFalse(flags.seen("bob", "2001:db8:3::1", t + 3), "flagged once");
        assertEquals(Set.of("bob"), flags.flagged(t + 4).keySet());
        assertFalse(flags.isFlagged("bob", t + 60_002), "the flag ends");
        assertTrue(flags.seen("bob", "2001:db8:4::1", t + 60_003), "still more than 3 within the hour");
        assertTrue(flags.unflag("bob", 0));
        assertFalse(flags.isFlagged("bob", t + 60_004));
        assertFalse(flags.isFlagged("alice", t));
    }

    @Test
    void networksOlderThanAnHourDoNotCount() {
        var flags = new Flags(2, 60_000);
        assertFalse(flags.seen("carol", "192.0.2.1", 0));
        assertFalse(flags.seen("carol", "198.51.100.1", 1));
        assertFalse(flags.seen("carol", "203.0.113.1", Flags.WINDOW_MILLIS + 2), "the first two are over an hour old");
    }
}
