package org.poplock.common.address;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PrintableTest {

    @ParameterizedTest(name = "[{0}] -> [{1}]")
    @CsvSource(delimiter = '|', value = {
        "alice|alice",
        "bob@example.org|bob@example.org",
        "us\u00e9r|us\u00e9r",
        "old user|\"old user\"",
        "a\"b|\"a\\\"b\"",
        "a\\b|\"a\\\\b\"",
        "x\u0085y|\"x\\x85y\"",
        "evil\u202egnp.exe|\"evil\\u202egnp.exe\"",
    })
    void wordIsQuotedOnlyWhenItIsNotOnePrintableWord(String text, String expected) {
        assertEquals(expected, Printable.word(text));
    }

    @Test
    void controlCharactersNeverReachTheOutput() {
        assertEquals("\"a\\x0ab\\x0dc\\x1b[31m\"", Printable.word("a\nb\rc\u001b[31m"));
        assertEquals("\"a\\u2028b\"", Printable.of("a\u2028b"));
    }

    @Test
    void aWholeLineKeepsItsTextAndLosesOnlyWhatIsUnprintable() {
        var clean = "policy: a client asked request=\"x y\"; closed";
        assertSame(clean, Printable.line(clean));
        assertEquals("cluster: key poplock:grant:\\x0d\\x1b[2Kreadlog: forged \\x07\\x00 caf\u00e9",
                Printable.line("cluster: key poplock:grant:\r\u001b[2Kreadlog: forged \u0007\u0000 caf\u00e9"));
        assertEquals("two\\x0alines\\u2029", Printable.line("two\nlines\u2029"));
    }
}
