package org.poplock.common.config;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@code key = value} line of poplock's files (the configuration file, a server definition):
 * {@code #} starts a comment line, blank lines are skipped, key and value are stripped, and the
 * value is taken literally (no escapes), so a regular expression keeps its backslashes.
 */
public record KeyValue(String key, String value, int line) {

    /** Every entry of {@code text}; throws IllegalArgumentException naming {@code origin} and the line of a malformed one. */
    public static List<KeyValue> parse(String text, String origin) {
        var out = new ArrayList<KeyValue>();
        var lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            var line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(origin + " line " + (i + 1) + ": expected key = value");
            }
            out.add(new KeyValue(line.substring(0, eq).strip(), line.substring(eq + 1).strip(), i + 1));
        }
        return out;
    }
}
