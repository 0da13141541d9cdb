package org.poplock.readlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.poplock.common.address.Cidr;
import org.poplock.readlog.parse.Login;

class LoginPolicyTest {

    private final LoginPolicy policy = new LoginPolicy(List.of(Cidr.parse("10.0.0.0/8")), Set.of("postmaster"), Duration.ofMinutes(30));
    private final Instant now = Instant.parse("2026-01-01T12:00:00Z");

    private Optional<String> refusal(String ip, String user) {
        return policy.refusal(new Login(ip, user, now, "test"));
    }

    @Test
    void anAddressNoClientCanHaveIsRefusedSayingWhy() {
        for (var ip : List.of("224.0.0.1", "0.0.0.0", "255.255.255.255", "240.0.0.1", "ff02::1")) {
            var why = refusal(ip, "alice");
            assertTrue(why.isPresent() && why.get().startsWith("no client has this address: "), ip + ": " + why);
        }
    }

    @Test
    void neverRelayNetworksAndDeniedUsersAreRefusedAndOthersPass() {
        assertEquals(Optional.of("never-relay 10.0.0.0/8"), refusal("10.1.2.3", "alice"));
        assertEquals(Optional.of("deny-user"), refusal("192.0.2.7", "postmaster"));
        assertEquals(Optional.empty(), refusal("192.0.2.7", "alice"));
        assertEquals(Optional.empty(), refusal("127.0.0.1", "alice"), "loopback: a webmail on this host");
    }
}
