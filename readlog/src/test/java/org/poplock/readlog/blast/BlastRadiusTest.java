package org.poplock.readlog.blast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.store.RelayEntry;
import org.poplock.readlog.metrics.Metrics;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.state.Output;
import org.poplock.readlog.state.RelayState;

/** The guard on a real state: shared addresses' grants cut short, flagged users' grants ended, the sender bound. */
class BlastRadiusTest {

    @TempDir
    Path dir;

    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS); // the policy side asks at the wall clock
    private final List<String> said = new ArrayList<>();

    private BlastSettings settings(String sharedGrant, int flagNetworks) {
        return BlastSettings.of("login", List.of("example.com"), null, 3, null, sharedGrant, Duration.ofMinutes(2), flagNetworks,
                Duration.ofHours(24), false);
    }

    /** As the policy service asks, with the grant's user from its table. */
    private static boolean allows(BlastRadius blast, RelayState state, String ip, String sender) {
        return blast.allows(ip, state.grants().entry(ip).map(RelayEntry::user).orElse(null), sender);
    }

    private static Login login(String ip, String user, Instant at) {
        return new Login(ip, user, at, "dovecot");
    }

    @Test
    void aFourthUserMakesAnAddressSharedAndItsGrantShorter() throws Exception {
        try (var state = RelayState.open(dir.resolve("s"))) {
            var blast = BlastRadius.guard(settings("shorter", 10), TIMEOUT, state, new Metrics(), said::add);
            for (var user : List.of("a", "b", "c")) {
                assertTrue(state.record(login("192.0.2.7", user, now), TIMEOUT, now) || !user.equals("a"));
            }
            assertEquals(now.plus(TIMEOUT), state.grants().entry("192.0.2.7").orElseThrow().expiry(), "three users: not shared");
            assertTrue(state.record(login("192.0.2.7", "d", now), TIMEOUT, now));
            assertEquals(now.plus(Duration.ofMinutes(2)), state.grants().entry("192.0.2.7").orElseThrow().expiry(), "cut to --shared-timeout");
            assertEquals(1, said.stream().filter(l -> l.startsWith("192.0.2.7 is shared: 4 users")).count(), String.join("\n", said));
            assertEquals(Set.of("192.0.2.7"), blast.sharedNow(now).keySet());
            assertTrue(allows(blast, state, "192.0.2.7", "d@example.com"), "each of its users relays with their own sender");
            assertFalse(allows(blast, state, "192.0.2.7", "e@example.com"));
            state.record(login("100.64.0.9", "a", now), TIMEOUT, now);
            assertEquals(now.plus(Duration.ofMinutes(2)), state.grants().entry("100.64.0.9").orElseThrow().expiry(), "carrier NAT space");
        }
    }

    @Test
    void withNoneASharedAddressLosesItsGrant() throws Exception {
        try (var state = RelayState.open(dir.resolve("s"))) {
            BlastRadius.guard(settings("none", 10), TIMEOUT, state, new Metrics(), said::add);
            for (var user : List.of("a", "b", "c", "d")) {
                state.record(login("192.0.2.7", user, now), TIMEOUT, now);
            }
            assertTrue(state.grants().entry("192.0.2.7").isEmpty());
        }
    }

    @Test
    void aUserFromTooManyNetworksIsFlaggedLosesItsGrantsAndGetsNoneUntilUnflagged() throws Exception {
        try (var state = RelayState.open(dir.resolve("s"))) {
            BlastRadius.guard(settings("shorter", 2), TIMEOUT, state, new Metrics(), said::add);
            assertTrue(state.record(login("192.0.2.7", "mallory", now), TIMEOUT, now));
            assertTrue(state.record(login("198.51.100.7", "mallory", now), TIMEOUT, now));
            assertTrue(state.record(login("203.0.113.9", "alice", now), TIMEOUT, now));
            assertFalse(state.record(login("203.0.113.7", "mallory", now), TIMEOUT, now), "the third network: no grant");
            assertTrue(state.settleFlags(now), "its grants end at the round's end");
            assertTrue(state.grants().entry("192.0.2.7").isEmpty());
            assertTrue(state.grants().entry("198.51.100.7").isEmpty());
            assertEquals("alice", state.grants().entry("203.0.113.9").orElseThrow().user(), "another user's grant stays");
            assertTrue(said.stream().anyMatch(l -> l.startsWith("flagged mallory: logins from more than 2 networks")), String.join("\n", said));
            assertFalse(state.record(login("192.0.2.8", "mallory", now), TIMEOUT, now), "no new grant");
            assertTrue(state.guard().unflag("mallory", now));
            assertTrue(state.record(login("192.0.2.8", "mallory", now), TIMEOUT, now), "lifted");
        }
    }

    @Test
    void otherHostsGrantsCountTowardsAFlagWhichTheOtherHostsHearOf() throws Exception {
        try (var state = RelayState.open(dir.resolve("s"))) {
            BlastRadius.guard(settings("shorter", 2), TIMEOUT, state, new Metrics(), said::add);
            var heard = new ArrayList<String>();
            state.grants().follow(new Output() {
                @Override
                public void flagged(String user, Instant until, Instant at) {
                    heard.add("flag " + user + " " + Duration.between(at, until).toHours());
                }

                @Override
                public void unflagged(String user, Instant at) {
                    heard.add("unflag " + user);
                }
            });
            var other = state.grants().otherHosts();
            assertTrue(other.merge(new RelayEntry("192.0.2.7", "mallory", now, now.plus(TIMEOUT), "pop-b"), now));
            assertTrue(other.merge(new RelayEntry("198.51.100.7", "mallory", now, now.plus(TIMEOUT), "pop-c"), now));
            assertFalse(state.settleFlags(now), "two networks: not yet");
            assertFalse(state.record(login("203.0.113.7", "mallory", now), TIMEOUT, now), "the third network, here");
            assertTrue(state.settleFlags(now), "its grants end");
            assertTrue(state.grants().entry("192.0.2.7").isEmpty(), "another host's grant of the user ends too");
            assertEquals(List.of("flag mallory 24"), heard, "the other hosts hear of the flag");
            assertTrue(state.guard().refuses("mallory", now), "another host's later grant of a flagged user is refused");
            assertFalse(state.guard().refuses("alice", now));

            assertTrue(state.unflag("mallory", now));
            assertEquals(List.of("flag mallory 24", "unflag mallory"), heard);
            assertTrue(other.merge(new RelayEntry("192.0.2.9", "eve", now, now.plus(TIMEOUT), "pop-b"), now));
            assertTrue(other.merge(new RelayEntry("198.51.100.9", "eve", now, now.plus(TIMEOUT), "pop-b"), now));
            assertTrue(other.merge(new RelayEntry("203.0.113.9", "eve", now, now.plus(TIMEOUT), "pop-c"), now));
            assertTrue(state.settleFlags(now), "three networks, all counted from other hosts' grants");
            assertTrue(state.grants().entry("203.0.113.9").isEmpty());
            assertTrue(said.stream().anyMatch(l -> l.startsWith("flagged eve: logins from more than 2 networks within an hour across the cluster")),
                    String.join("\n", said));
        }
    }

    @Test
    void aFlagFromAnotherHostHoldsHereNoLongerThanAFlagOfThisHost() throws Exception {
        try (var state = RelayState.open(dir.resolve("s"))) {
            var blast = BlastRadius.guard(settings("shorter", 2), TIMEOUT, state, new Metrics(), said::add);
            assertTrue(state.record(login("192.0.2.7", "mallory", now), TIMEOUT, now));
            assertTrue(state.record(login("198.51.100.7", "eve", now), TIMEOUT, now));
            state.guard().flaggedElsewhere("mallory", now.plus(Duration.ofDays(400)), "pop-b", now, now);
            state.guard().flaggedElsewhere("eve", now.plus(Duration.ofHours(1)), "pop-c", now, now);
            assertTrue(state.settleFlags(now), "both users' grants here end, in one pass");
            assertTrue(state.grants().entry("192.0.2.7").isEmpty());
            assertTrue(state.grants().entry("198.51.100.7").isEmpty());
            assertEquals(now.plus(Duration.ofHours(24)).toEpochMilli(), blast.flagged(now).get("mallory"), "capped at --flag-for");
            state.guard().flaggedElsewhere("mallory", now.plus(Duration.ofHours(1)), "pop-c", now, now);
            assertFalse(state.settleFlags(now), "already flagged: nothing new");
            assertEquals(1, said.stream().filter(l -> l.startsWith("flagged mallory")).count(), String.join("\n", said));
            assertTrue(said.stream().anyMatch(l -> l.startsWith("flagged mallory: cluster host pop-b flagged it; no grants for 86400s")),
                    String.join("\n", said));
            assertFalse(state.record(login("192.0.2.7", "mallory", now), TIMEOUT, now), "no grant here");
        }
    }

    @Test
    void senderBindingTurnedOnByAReloadBindsTheGrantsAlreadyLive() throws Exception {
        try (var state = RelayState.open(dir.resolve("s"))) {
            var off = BlastSettings.of("any", List.of(), null, 3, null, "shorter", Duration.ofMinutes(2), 10, Duration.ofHours(24), false);
            var blast = BlastRadius.guard(off, TIMEOUT, state, new Metrics(), said::add);
            assertTrue(state.record(login("192.0.2.7", "alice", now), TIMEOUT, now));
            assertTrue(allows(blast, state, "192.0.2.7", "mallory@example.com"), "off: any sender");
            blast.reconfigure(settings("shorter", 10));
            assertTrue(allows(blast, state, "192.0.2.7", "alice@example.com"), "the user of a grant made before the reload");
            assertFalse(allows(blast, state, "192.0.2.7", "mallory@example.com"));
            assertTrue(state.record(login("192.0.2.7", "bob", now), TIMEOUT, now) || true);
            assertTrue(allows(blast, state, "192.0.2.7", "bob@example.com"), "a login after the reload");
            assertTrue(allows(blast, state, "192.0.2.7", "alice@example.com"), "and the one before it");
        }
    }

    @Test
    void aUserHereKeepsRelayingWithTheirSenderWhenAnotherHostsGrantOfAnotherUserTakesTheAddress() throws Exception {
        try (var state = RelayState.open(dir.resolve("s"))) {
            var blast = BlastRadius.guard(settings("shorter", 10), TIMEOUT, state, new Metrics(), said::add);
            assertTrue(state.record(login("192.0.2.7", "alice", now), TIMEOUT, now));
            var later = now.plusSeconds(5);
            assertTrue(state.grants().otherHosts().merge(new RelayEntry("192.0.2.7", "bob", later, later.plus(TIMEOUT), "pop-b"), later));
            assertEquals("bob", state.grants().entry("192.0.2.7").orElseThrow().user());
            assertTrue(allows(blast, state, "192.0.2.7", "bob@example.com"));
            assertTrue(allows(blast, state, "192.0.2.7", "alice@example.com"), "alice logged in from it within the timeout too");
        }
    }

    @Test
    void aFlagThatArrivesAfterTheAdminLiftedItIsNotRaisedAgain() throws Exception {
        try (var state = RelayState.open(dir.resolve("s"))) {
            BlastRadius.guard(settings("shorter", 2), TIMEOUT, state, new Metrics(), said::add);
            var made = now.minusSeconds(30);
            state.unflag("mallory", now.minusSeconds(10)); // no flag yet here: only the lift is remembered
            state.guard().flaggedElsewhere("mallory", now.plus(Duration.ofHours(1)), "pop-b", made, now);
            state.settleFlags(now);
            assertFalse(state.guard().refuses("mallory", now), "made before the lift, arrived after it: not raised");
            state.guard().flaggedElsewhere("mallory", now.plus(Duration.ofHours(1)), "pop-b", now, now);
            state.settleFlags(now);
            assertTrue(state.guard().refuses("mallory", now), "a flag made after the lift is raised");
        }
    }
}
