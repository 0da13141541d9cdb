package org.poplock.common.address;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostNameTest {

    @Test
    void namesAsRfc1123WritesThem() {
        assertTrue(HostName.isValid("pop-a"));
        assertTrue(HostName.isValid("mail.example.org"));
        assertTrue(HostName.isValid("3com.example"), "a label may start with a digit");
        assertTrue(HostName.isValid("a"));
    }

    @Test
    void atMost253Characters() {
        var longest = ("a".repeat(63) + ".").repeat(3) + "a".repeat(61);
        assertTrue(longest.length() == 253 && HostName.isValid(longest), "253 characters");
        assertFalse(HostName.isValid(longest + "a"), "254 characters");
    }

    @Test
    void notAName() {
        assertFalse(HostName.isValid(""));
        assertFalse(HostName.isValid("-a"));
        assertFalse(HostName.isValid(".a"));
        assertFalse(HostName.isValid("a b"));
        assertFalse(HostName.isValid("a_b"));
        assertFalse(HostName.isValid("a\nb"));
        assertFalse(HostName.isValid("[::1]"));
    }
}
