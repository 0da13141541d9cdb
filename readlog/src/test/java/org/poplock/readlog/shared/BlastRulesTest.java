package org.poplock.readlog.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poplock.common.address.Cidr;
import org.poplock.common.store.RelayEntry;

class BlastRulesTest {

    @Test
    void anAddressRemembersItsUsersWithinTheWindowAndBoundsThem() {
        var users = new AddressUsers(1000);
        users.seen("192.0.2.7", "alice", 10_000);
        users.seen("192.0.2.7", "bob", 10_500);
        users.seen("192.0.2.7", "alice", 10_600);
        assertEquals(List.of("bob", "alice"), users.users("192.0.2.7", 10_700));
        assertEquals(List.of("alice"), users.users("192.0.2.7", 11_550), "bob's login is past the window");
        assertEquals(List.of(), users.users("192.0.2.8", 10_700));
        for (int i = 0; i < 200; i++) {
            users.seen("192.0.2.9", "u" + i, 20_000 + i);
        }
        assertEquals(AddressUsers.MOST_PER_ADDRESS, users.users("192.0.2.9", 20_300).size());
        assertTrue(users.users("192.0.2.9", 20_300).contains("u199"), "the latest are kept");
    }

    @Test
    void readFromTheGrantsAnAddressWithOneUserCostsNothingAndASecondUserIsRemembered() {
        var grants = new HashMap<String, RelayEntry>();
        var users = new AddressUsers(1000, grants::get);
        for (int i = 0; i < 100; i++) {
            var ip = "192.0.2." + i;
            users.seen(ip, "u" + i, 10_000);
            grants.put(ip, RelayEntry.of(ip, "u" + i, Instant.ofEpochMilli(10_000), Duration.ofSeconds(1)));
        }
        assertEquals(0, users.size(), "one user each: the grants hold them");
        assertEquals(List.of("u7"), users.users("192.0.2.7", 10_500));
        users.seen("192.0.2.7", "bob", 10_500);
        assertEquals(List.of("u7", "bob"), users.users("192.0.2.7", 10_600));
        assertEquals(1, users.size());
        users.seen("192.0.2.8", "carol", 11_200);
        assertEquals(1, users.size(), "u8's login is past the window: carol is its one user");
    }

    @Test
    void moreThanNUsersOrTheNetworksOrCarrierNatMakeAnAddressShared() {
        var shared = new SharedAddresses(3, List.of(Cidr.parse("198.51.100.0/24")), SharedAddresses.Grant.SHORTER, Duration.ofMinutes(2));
        assertFalse(shared.isShared("192.0.2.7", 3));
        assertTrue(shared.isShared("192.0.2.7", 4));
        assertTrue(shared.isShared("198.51.100.9", 1));
        assertTrue(shared.isShared("100.64.1.2", 1), "RFC 6598 always");
        assertFalse(shared.isShared("100.128.0.1", 1));
        assertEquals(Duration.ofMinutes(2), shared.grantFor(Duration.ofMinutes(15)));
        assertEquals(Duration.ofMinutes(1), shared.grantFor(Duration.ofMinutes(1)), "never longer than the timeout");
        assertEquals(Duration.ZERO, new SharedAddresses(3, List.of(), SharedAddresses.Grant.NONE, Duration.ofMinutes(2)).grantFor(Duration.ofMinutes(15)));
    }
}
