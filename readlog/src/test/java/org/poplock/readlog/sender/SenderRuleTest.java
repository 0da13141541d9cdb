package org.poplock.readlog.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SenderRuleTest {

    private static final SenderLoginMap MAP = SenderLoginMap.parse(String.join("\n",
            "# who sends as whom",
            "sales@example.com   alice, bob",
            "@example.org        carol",
            "postmaster@example.com admin",
            "help@example.com    dave,",
            "    erin",
            ""), "senders");

    @Test
    void theLoginItselfItsDomainsAndTheMapOwnASenderAndNothingElse() {
        var rule = new SenderRule(Set.of("Example.com"), MAP);
        assertNull(rule.mismatch("alice@example.com", List.of("alice")), "login@DOMAIN");
        assertNull(rule.mismatch("ALICE@example.COM", List.of("alice")), "without case");
        assertNull(rule.mismatch("frank@other.test", List.of("frank@other.test")), "a login that is an address");
        assertNull(rule.mismatch("sales@example.com", List.of("bob")), "the map");
        assertNull(rule.mismatch("anyone@example.org", List.of("carol")), "an @domain entry");
        assertNull(rule.mismatch("help@example.com", List.of("erin")), "a continuation line");
        assertNull(rule.mismatch("alice@example.com", List.of("mallory", "alice")), "a second user of the address");
        assertNotNull(rule.mismatch("bob@example.com", List.of("alice")), "another user's address");
        assertNotNull(rule.mismatch("alice@example.net", List.of("alice")), "a domain not configured");
        assertNotNull(rule.mismatch("sales@example.com", List.of("carol")));
        assertNotNull(rule.mismatch("alice@example.com", List.of()), "nobody logged in");
    }

    @Test
    void theBounceSenderBelongsToNobodyAndPostmasterOnlyToWhomTheMapNames() {
        var rule = new SenderRule(Set.of("example.com"), MAP);
        assertTrue(rule.mismatch("", List.of("alice")).contains("<>"));
        assertTrue(rule.mismatch(null, List.of("alice")).contains("sender="));
        assertNotNull(rule.mismatch("postmaster@example.com", List.of("alice")));
        assertNull(rule.mismatch("postmaster@example.com", List.of("admin")));
    }

    @Test
    void badLinesAreNamedWithTheirNumber() {
        assertEquals("m:2: \"sales@example.com\" names no login",
                assertThrows(IllegalArgumentException.class, () -> SenderLoginMap.parse("# c\nsales@example.com\n", "m")).getMessage()
                        .replace("'", "\""));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SenderLoginMap.parse("a@b x\n\nnoat y\n", "m")).getMessage()
                .startsWith("m:3: "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SenderLoginMap.parse("  x\n", "m")).getMessage().startsWith("m:1: "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SenderLoginMap.parse("a@b x\nA@B y\n", "m")).getMessage()
                .startsWith("m:2: "));
    }
}
