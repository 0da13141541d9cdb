package org.poplock.readlog.authpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reader of Dovecot's report bodies: what Dovecot sends, and what an attacker might. */
class JsonTest {

    @Test
    void readsDovecotsReport() {
        var report = Json.object("{\"login\":\"al\\\"ice\\u00e9\",\"remote\":\"192.0.2.1\",\"protocol\":\"pop3\","
                + "\"success\":true,\"policy_reject\":false,\"tls\":false,\"n\":-1.5e3,\"x\":null,\"a\":[1,{}]}");
        assertEquals("al\"ice\u00e9", report.get("login"));
        assertEquals(Boolean.TRUE, report.get("success"));
        assertEquals(Boolean.FALSE, report.get("policy_reject"));
        assertEquals("-1.5e3", report.get("n"));
        assertEquals(null, report.get("x"));
        assertEquals(List.of("1", Map.of()), report.get("a"));
    }

    @Test
    void refusesWhatIsNoSingleObject() {
        for (var bad : List.of("", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "{'a':1}", "{\"a\":tru}", "{\"a\":01}",
                "{\"a\":\"\u0001\"}", "{\"a\":\"\\x\"}", "{\"a\":1,\"a\":2}", "{\"a\":\"unterminated}",
                "{\"a\":" + "[".repeat(20) + "]".repeat(20) + "}")) {
            assertThrows(IllegalArgumentException.class, () -> Json.object(bad), bad);
        }
    }
}
