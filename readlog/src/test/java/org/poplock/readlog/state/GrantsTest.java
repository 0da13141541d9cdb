package org.poplock.readlog.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poplock.common.store.RelayEntry;

/** The in-memory model alone, no file: every change reaches the store's batch, and both published forms agree. */
class GrantsTest {

    final Instant now = Instant.parse("2026-12-01T12:00:00Z");
    final Duration timeout = Duration.ofMinutes(15);
    final List<String> written = new ArrayList<>();
    final Grants grants = new Grants(new Grants.Changes() {
        @Override
        public void put(String ip, byte[] value) {
            written.add("put " + ip + " " + RelayEntry.decode(ip, value).user());
        }

        @Override
        public void remove(String ip) {
            written.add("remove " + ip);
        }
    });

    @Test
    void aLoginIsRecordedOnceAndAnOlderLineNeverShortensIt() {
        assertTrue(grants.record("192.0.2.1", "alice", now.minusSeconds(60), timeout, now));
        assertFalse(grants.record("192.0.2.1", "alice", now.minusSeconds(120), timeout, now), "older line");
        assertTrue(grants.record("192.0.2.1", "bob", now, timeout, now), "a later login moves the expiry");
        assertEquals(List.of("put 192.0.2.1 alice", "put 192.0.2.1 bob"), written);
        assertEquals(now.plus(timeout), grants.live(now).get(0).expiry());
    }

    @Test
    void aLoginExpiredByItsOwnTimeIsNotRecorded() {
        assertFalse(grants.record("192.0.2.1", "a", now.minus(timeout), timeout, now), "expired by its own time");
        assertEquals(List.of(), written);
        assertEquals(0, grants.size());
    }

    @Test
    void aStampAheadOfTheClockDoesNotStretchTheGrant() {
        grants.record("192.0.2.1", "a", now.plusSeconds(3600), timeout, now);
        assertEquals(now.plus(timeout), grants.live(now).get(0).expiry());
    }

    @Test
    void theDatabaseRelaylockReadsHoldsNoUserName() {
        grants.record("192.0.2.1", "alice", now, timeout, now);
        var withUsers = grants.publishable(now).get("192.0.2.1");
        var plain = RelayEntry.withoutUser(withUsers);
        assertEquals("", RelayEntry.decode("192.0.2.1", plain).user());
        assertEquals("alice", RelayEntry.decode("192.0.2.1", withUsers).user());
        assertEquals(RelayEntry.decode("192.0.2.1", plain).expiry(), RelayEntry.decode("192.0.2.1", withUsers).expiry());
    }

    @Test
    void sweepRemovesExactlyTheExpiredEverywhere() {
        grants.record("192.0.2.1", "a", now.minusSeconds(800), timeout, now);
        grants.record("192.0.2.2", "b", now.minusSeconds(100), timeout, now);
        var later = now.plusSeconds(200);
        assertEquals(List.of("192.0.2.2"), List.copyOf(grants.publishable(later).keySet()), "an expired entry is not published before the sweep");
        assertEquals(1, grants.sweep(later));
        assertEquals(List.of("192.0.2.2"), List.copyOf(grants.publishable(later).keySet()));
        assertEquals("remove 192.0.2.1", written.get(written.size() - 1));
        assertEquals(now.minusSeconds(100).plus(timeout), grants.nextExpiry().orElseThrow());
    }

    @Test
    void extendOnlyOnceHalfTheTimeoutIsLeft() {
        grants.record("192.0.2.1", "a", now, timeout, now);
        assertFalse(grants.extend("192.0.2.1", now.plusSeconds(60), timeout), "14 minutes left");
        assertTrue(grants.extend("192.0.2.1", now.plusSeconds(600), timeout), "5 minutes left");
        assertEquals(now.plusSeconds(600).plus(timeout), grants.live(now).get(0).expiry());
        assertFalse(grants.extend("192.0.2.9", now, timeout), "no entry, nothing to extend");
    }

    @Test
    void revokeAndFlush() {
        grants.record("192.0.2.1", "a", now, timeout, now);
        grants.grant("2001:db8::1", "admin", now, Duration.ofHours(2));
        assertTrue(grants.revoke("192.0.2.1"));
        assertFalse(grants.revoke("192.0.2.1"));
        assertEquals(1, grants.revokeAll());
        assertEquals(0, grants.size());
        assertTrue(grants.publishable(now).isEmpty());
    }

    /** The sweep takes from the expiry queue: against a plain scan of the table, over renewals, removals and many rounds. */
    @Test
    void aSweepRemovesExactlyWhatExpiredWhateverWasRenewedOrRemoved() {
        var random = new java.util.Random(7);
        var expected = new java.util.TreeMap<String, Instant>();
        var t = now;
        for (int round = 0; round < 2000; round++) {
            t = t.plusSeconds(1);
            for (int k = 0; k < 5; k++) {
                var ip = "10.0." + random.nextInt(4) + "." + random.nextInt(250);
                int what = random.nextInt(10);
                if (what == 0) {
                    grants.revoke(ip);
                    expected.remove(ip);
                } else {
                    var login = t.minusSeconds(random.nextInt(600));
                    if (grants.record(ip, "u", login, timeout, t)) {
                        expected.put(ip, login.plus(timeout));
                    }
                }
            }
            var now2 = t;
            int gone = grants.sweep(t);
            int expectedGone = (int) expected.values().stream().filter(e -> !e.isAfter(now2)).count();
            expected.values().removeIf(e -> !e.isAfter(now2));
            assertEquals(expectedGone, gone, "round " + round);
            assertEquals(expected.keySet(), new java.util.TreeSet<>(grants.stored().keySet()), "round " + round);
            var earliest = expected.values().stream().min(Instant::compareTo);
            assertTrue(grants.nextExpiry().isPresent() == earliest.isPresent()
                    && (earliest.isEmpty() || !grants.nextExpiry().get().isAfter(earliest.get())), "next expiry never later than the truth");
        }
    }

    /** The outputs (the cluster's outbox among them) hear of this host's own changes, once each, and of nothing another host sent or an expiry did. */
    @Test
    void theOutputsHearOfThisHostsOwnChangesOnly() {
        var told = new ArrayList<String>();
        grants.follow(new Output() {
            @Override
            public void granted(String ip) {
                told.add("granted " + ip);
            }

            @Override
            public void withdrawn(String ip, Instant at) {
                told.add("withdrawn " + ip);
            }

            @Override
            public void flushed(Instant at) {
                told.add("flushed");
            }
        });
        grants.record("192.0.2.1", "alice", now, timeout, now);
        grants.record("192.0.2.1", "alice", now.minusSeconds(60), timeout, now); // older: no change, nothing to tell
        grants.extend("192.0.2.1", now.plus(Duration.ofMinutes(10)), timeout); // an open session's extension
        grants.grant("192.0.2.2", "admin", now, Duration.ofSeconds(60));
        grants.otherHosts().merge(RelayEntry.of("192.0.2.3", "carol", now, timeout), now);
        grants.sweep(now.plus(Duration.ofHours(1)));
        grants.grant("192.0.2.4", "admin", now, Duration.ofSeconds(60));
        grants.withdraw("192.0.2.4", now);
        grants.withdraw("192.0.2.5", now); // no entry here; another host may have one
        grants.withdrawAll(now);
        assertEquals(List.of("granted 192.0.2.1", "granted 192.0.2.1", "granted 192.0.2.2", "granted 192.0.2.4", "withdrawn 192.0.2.4", "withdrawn 192.0.2.5", "flushed"),
                told);
    }
}
