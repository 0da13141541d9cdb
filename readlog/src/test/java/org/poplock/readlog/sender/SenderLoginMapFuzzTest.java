package org.poplock.readlog.sender;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The sender map as readlog reads it from the admin's file (or one a panel writes from its users'
 * input): a map, or one IllegalArgumentException naming the file and line; every key an address or
 * {@code @domain} in lower case, every entry with a login.
 */
class SenderLoginMapFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void senderLoginMap(byte[] input) {
        var text = new String(input, StandardCharsets.UTF_8);
        SenderLoginMap map;
        try {
            map = SenderLoginMap.parse(text, "m");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().matches("(?s)m:[0-9]+: .*"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
            return;
        }
        map.owners().forEach((key, logins) -> {
            assertTrue(key.contains("@") && !key.endsWith("@") && key.equals(key.toLowerCase(Locale.ROOT)), key);
            assertFalse(logins.isEmpty(), key);
            assertTrue(map.loginsOf(key).equals(logins), key);
        });
    }
}
