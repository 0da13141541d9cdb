package org.poplock.common.address;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UserNameTest {

    @Test
    void aPrintableLineUpTo256CharactersIsAUserName() {
        assertTrue(UserName.isValid("alice"));
        assertTrue(UserName.isValid("alice@example.org"));
        assertTrue(UserName.isValid("(admin)"));
        assertTrue(UserName.isValid("j\u00f6rg m\u00fcller"));
        assertTrue(UserName.isValid("a".repeat(256)));
    }

    @Test
    void emptyTooLongOrAControlCharacterIsNot() {
        assertFalse(UserName.isValid(""));
        assertFalse(UserName.isValid("a".repeat(257)));
        assertFalse(UserName.isValid("al\nice"));
        assertFalse(UserName.isValid("alice\r"));
        assertFalse(UserName.isValid("a\tb"));
        assertFalse(UserName.isValid("a\u0000b"));
        assertFalse(UserName.isValid("a\u007fb"));
        assertFalse(UserName.isValid("a\u0085b"), "C1: NEL");
        assertFalse(UserName.isValid("a\u009bb"), "C1: CSI");
        assertTrue(UserName.isValid("a\u00a0b"), "the first character past C1");
    }
}
