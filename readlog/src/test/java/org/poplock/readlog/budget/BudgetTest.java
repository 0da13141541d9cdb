package org.poplock.readlog.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.poplock.common.store.BudgetUsage;

/** The counter alone, on a clock the test moves. */
class BudgetTest {

    private static final long HOUR = 3_600_000;
    /** A moment at the start of a window. */
    private static final long T0 = 1_000 * HOUR;

    private final List<String> said = new ArrayList<>();

    @Test
    void theEleventhRecipientOfAGrantIsDeferredAndTheNextWindowStartsAfresh() {
        var budget = new Budget(new Budget.Limits(10, 0, Duration.ofHours(1)), null, said::add);
        for (int i = 1; i <= 10; i++) {
            assertNull(budget.check("192.0.2.1", "alice", "RCPT", "m" + i, T0 + i), "recipient " + i + " is within budget");
        }
        var over = budget.check("192.0.2.1", "alice", "RCPT", "m11", T0 + 11);
        assertTrue(over != null && over.startsWith("DEFER_IF_REJECT 4.7.1 "), over);
        assertTrue(budget.check("192.0.2.1", "alice", "RCPT", "m12", T0 + HOUR - 1) != null, "still the same window");
        assertNull(budget.check("192.0.2.2", "alice", "RCPT", "x", T0 + 12), "another grant has its own budget");
        assertNull(budget.check("192.0.2.1", "alice", "RCPT", "n1", T0 + HOUR), "the next window relays again");
        assertEquals(2, budget.deferred());
        assertEquals(1, said.size(), "one line per grant: " + said);
        assertTrue(said.get(0).contains("192.0.2.1 (alice) is over its budget of 10 recipients per hour (11 messages)"), said.get(0));
    }

    @Test
    void onlyRcptRequestsCountAndAMessageIsCountedByItsInstance() {
        var budget = new Budget(new Budget.Limits(3, 0, Duration.ofHours(1)), null, said::add);
        assertNull(budget.check("192.0.2.1", "alice", "DATA", "m1", T0));
        assertNull(budget.check("192.0.2.1", "alice", "END-OF-MESSAGE", "m1", T0));
        for (int i = 0; i < 3; i++) {
            assertNull(budget.check("192.0.2.1", "alice", "RCPT", "m1", T0));
        }
        assertTrue(budget.check("192.0.2.1", "alice", null, "m2", T0) != null, "a request without protocol_state (Exim) counts");
        assertTrue(said.get(0).contains("(2 messages)"), said.get(0));
    }

    @Test
    void aUserIsCountedAcrossAllTheirAddresses() {
        var budget = new Budget(new Budget.Limits(0, 5, Duration.ofHours(1)), null, said::add);
        for (int i = 1; i <= 5; i++) {
            assertNull(budget.check("192.0.2." + i, "alice", "RCPT", "m", T0));
        }
        var over = budget.check("198.51.100.7", "alice", "RCPT", "m", T0);
        assertTrue(over != null && over.contains("4.7.1"), "the sixth recipient from a sixth address: " + over);
        assertNull(budget.check("198.51.100.7", "bob", "RCPT", "m", T0), "another user has their own");
        assertNull(budget.check("198.51.100.8", null, "RCPT", "m", T0), "a grant whose user is not known is not counted per user");
        assertTrue(said.get(0).contains("user alice (now at 198.51.100.7) is over the budget of 5"), said.get(0));
    }

    @Test
    void oldWindowsAreSweptSoOnlyLiveTalliesAreHeld() {
        var budget = new Budget(new Budget.Limits(100, 100, Duration.ofSeconds(60)), null, said::add);
        for (int i = 0; i < 1000; i++) {
            budget.check("10.0." + (i >> 8) + "." + (i & 255), "u" + i, "RCPT", "m", T0);
        }
        assertEquals(2000, budget.tallies());
        budget.check("10.1.0.1", "v", "RCPT", "m", T0 + 120_000);
        assertEquals(2, budget.tallies(), "two windows on, only the new grant's and user's tallies are left");
    }

    @Test
    void sharedCountsDecideAndAnOutageFallsBackToThisHostsCountsWithOneLine() {
        var redis = new FakeShared();
        var budget = new Budget(new Budget.Limits(3, 0, Duration.ofHours(1)), redis, said::add);
        redis.counts.put("g:192.0.2.1:1000", 3L); // another host relayed three already
        assertTrue(budget.check("192.0.2.1", "alice", "RCPT", "m", T0) != null, "the cluster's count decides");
        redis.down = true;
        assertNull(budget.check("192.0.2.1", "alice", "RCPT", "m", T0 + 1), "alone: this host's own count (2)");
        assertTrue(said.stream().anyMatch(l -> l.contains("each host counts its own recipients")), String.valueOf(said));
        assertNull(budget.check("192.0.2.1", "alice", "RCPT", "m", T0 + 2));
        assertTrue(budget.check("192.0.2.1", "alice", "RCPT", "m", T0 + 3) != null, "the fourth on this host");
        assertEquals(1, said.stream().filter(l -> l.contains("do not answer")).count(), "one line for the outage: " + said);
        redis.down = false;
        budget.check("192.0.2.9", "bob", "RCPT", "m", T0 + Budget.RETRY_MILLIS + 10);
        assertTrue(said.stream().anyMatch(l -> l.contains("answer again")), String.valueOf(said));
    }

    @Test
    void theUsageIsThisWindowsCountsPerGrantAndUserWithTheClustersWhenLarger() {
        var redis = new FakeShared();
        var budget = new Budget(new Budget.Limits(10, 20, Duration.ofHours(1)), redis, said::add);
        redis.counts.put("g:192.0.2.1:1000", 4L); // another host relayed four for this grant, and five for alice
        redis.counts.put("u:alice:1000", 5L);
        budget.check("192.0.2.1", "alice", "RCPT", "m1", T0);
        budget.check("192.0.2.1", "alice", "RCPT", "m2", T0 + 1);
        budget.check("192.0.2.2", "bob", "DATA", "m1", T0 + 2);
        redis.down = true;
        budget.check("192.0.2.3", "carol", "RCPT", "m1", T0 + 3);
        var usage = budget.usage(T0 + 4);
        assertEquals(new BudgetUsage(10, 20, HOUR, T0 + HOUR, new TreeMap<>(Map.of("192.0.2.1", new BudgetUsage.Grant(6, 2),
                "192.0.2.3", new BudgetUsage.Grant(1, 1))), new TreeMap<>(Map.of("alice", 7L, "carol", 1L))), usage);
        assertEquals(new BudgetUsage(10, 20, HOUR, T0 + 2 * HOUR, new TreeMap<>(), new TreeMap<>()), budget.usage(T0 + HOUR),
                "the next window has no usage yet");
    }

    @Test
    void badLimitsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Budget.Limits(-1, 0, Duration.ofHours(1)));
        assertTrue(e.getMessage().contains("--budget-recipients-per-grant"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Budget.Limits(1, 0, Duration.ofMillis(10)));
        assertTrue(e.getMessage().contains("--budget-window"), e.getMessage());
    }

    private static final class FakeShared implements Budget.SharedCounts {
        final Map<String, Long> counts = new HashMap<>();
        boolean down;

        @Override
        public long[] increment(List<String> keys, long ttlMillis) {
            if (down) {
                throw new IllegalStateException("connection refused");
            }
            return keys.stream().mapToLong(k -> counts.merge(k, 1L, Long::sum)).toArray();
        }

        @Override
        public void close() {
        }
    }
}
