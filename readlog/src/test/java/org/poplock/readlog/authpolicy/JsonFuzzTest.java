package org.poplock.readlog.authpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The JSON of Dovecot's reports, a request body from the network. Only the documented
 * IllegalArgumentException; what is accepted is an object of strings, booleans, numbers (kept as
 * their text), null, objects and lists, nested no deeper than the bound, and written back as JSON
 * it reads as the same value.
 */
class JsonFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void json(byte[] input) {
        var text = new String(input, StandardCharsets.UTF_8);
        Map<String, Object> object;
        try {
            object = Json.object(text);
        } catch (IllegalArgumentException e) {
            return;
        }
        var written = new StringBuilder();
        write(object, 0, written);
        assertEquals(object, Json.object(written.toString()), written.toString());
    }

    private static void write(Object value, int depth, StringBuilder out) {
        assertTrue(depth <= 8, "nested deeper than the bound");
        if (value == null || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof String s) {
            string(s, out);
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            var first = true;
            for (var e : map.entrySet()) {
                out.append(first ? "" : ",");
                first = false;
                string((String) e.getKey(), out);
                out.append(':');
                write(e.getValue(), depth + 1, out);
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                out.append(i == 0 ? "" : ",");
                write(list.get(i), depth + 1, out);
            }
            out.append(']');
        } else {
            fail("a value of another kind: " + value.getClass());
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (var c : s.toCharArray()) {
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        out.append('"');
    }
}
