package org.poplock.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration file as every program reads it, from whatever bytes the file holds. Only the
 * documented IOException; every entry is a stripped, non-empty key without '=' and a stripped
 * value, and the entries written back as {@code key = value} lines read as the same entries.
 */
class ConfigFileFuzzTest {

    @TempDir
    Path dir;

    @FuzzTest(maxDuration = "10m")
    void configFile(byte[] input) throws IOException {
        var file = dir.resolve("poplock.conf");
        Files.write(file, input);
        ConfigFile config;
        try {
            config = ConfigFile.load(file, true);
        } catch (IOException e) {
            return;
        }
        var written = new StringBuilder();
        var entries = new ArrayList<String>();
        config.entries().forEach((key, values) -> {
            assertFalse(key.isEmpty());
            assertEquals(key.strip(), key);
            assertFalse(key.contains("=") || key.startsWith("#") || key.contains("\n"), key);
            assertTrue(config.lines().get(key) >= 1);
            assertEquals(values.get(values.size() - 1), config.get(key, null));
            for (var value : values) {
                assertEquals(value.strip(), value);
                written.append(key).append(" = ").append(value).append('\n');
                entries.add(key + "=" + value);
            }
        });
        config.unknownKeys().forEach(line -> assertFalse(line.contains("\n"), line));
        var again = new ArrayList<String>();
        KeyValue.parse(written.toString(), "written").forEach(kv -> again.add(kv.key() + "=" + kv.value()));
        assertEquals(sorted(entries), sorted(again));
    }

    private static List<String> sorted(List<String> list) {
        var copy = new ArrayList<>(list);
        copy.sort(null);
        return copy;
    }
}
