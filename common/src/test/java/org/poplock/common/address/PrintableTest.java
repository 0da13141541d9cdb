package org.poplock.common.address;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    })
    void wordIsQuotedOnlyWhenItIsNotOnePrintableWord(String text, String expected) {
        assertEquals(expected, Printable.word(text));
    }

    @org.junit.jupiter.api.Test
    void controlCharactersNeverReachTheOutput() {
        assertEquals("\"a\\x0ab\\x0dc\\x1b[31m\"", Printable.word("a\nb\rc\u001b[31m"));
    }
}
