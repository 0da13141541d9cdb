package org.poplock.common.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one configuration file all three programs read, so that the daemon and the SMTP run script
 * cannot disagree on the database or the timeout. Lines are {@code key = value}, {@code #} starts a
 * comment line, keys are the long option names without dashes ({@code db}, {@code timeout},
 * {@code log}); a key may repeat where the option does ({@code log}, {@code never-relay}).
 * Values are taken literally, without the escapes of Java properties files, so that a custom
 * server definition ({@code custom.NAME = expression}) keeps its backslashes.
 *
 * <p>Which file: {@code --config FILE}, else {@code $POPLOCK_CONFIG}, else {@value #DEFAULT_PATH}.
 * The default file may be missing; a file the admin named must exist.
 */
public record ConfigFile(Path path, Map<String, List<String>> entries, Map<String, Integer> lines) {

    public static final String DEFAULT_PATH = "/etc/poplock/poplock.conf";
    public static final String ENV = "POPLOCK_CONFIG";

    /** The default relay database, readlog's output and relaylock's input. */
    public static final String DEFAULT_DB = "/var/lib/poplock/relay.db";
    public static final String DEFAULT_TIMEOUT = "15m";

    /** Finds and loads the configuration named by {@code args} or {@code env}. */
    public static ConfigFile locate(String[] args, Map<String, String> env) throws IOException {
        String named = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                named = args[i + 1];
            } else if (args[i].startsWith("--config=")) {
                named = args[i].substring("--config=".length());
            } else if (args[i].equals("--")) {
                break;
            }
        }
        if (named == null && env.get(ENV) != null && !env.get(ENV).isEmpty()) {
            named = env.get(ENV);
        }
        return named == null ? load(Path.of(DEFAULT_PATH), false) : load(Path.of(named), true);
    }

    public static ConfigFile load(Path path, boolean required) throws IOException {
        var entries = new LinkedHashMap<String, List<String>>();
        var firstLines = new LinkedHashMap<String, Integer>();
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            if (required) {
                throw new NoSuchFileException(path.toString(), null, "configuration file not found");
            }
            return new ConfigFile(path, entries, firstLines);
        } catch (IOException e) {
            throw new IOException("cannot read configuration " + path + ": " + e.getMessage(), e);
        }
        try {
            for (var kv : KeyValue.parse(String.join("\n", lines), path.toString())) {
                entries.computeIfAbsent(kv.key(), k -> new ArrayList<>()).add(kv.value());
                firstLines.putIfAbsent(kv.key(), kv.line());
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        return new ConfigFile(path, entries, firstLines);
    }

    /** The environment variable for a key: POPLOCK_ and the key in capitals, dashes as underscores. */
    public static String variable(String key) {
        return "POPLOCK_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The last value of {@code key}, or {@code fallback}. */
    public String get(String key, String fallback) {
        var values = entries.get(key);
        return values == null ? fallback : values.get(values.size() - 1);
    }

    /** Every value of {@code key}, in file order. */
    public List<String> all(String key) {
        return entries.getOrDefault(key, List.of());
    }

    /**
     * Every key of the file that no program of poplock reads (a typo such as {@code timout} would
     * otherwise leave the default in force unnoticed), as one line each: file, line, key, and the
     * nearest known key. {@code custom.NAME} keys are server definitions, always known.
     */
    public List<String> unknownKeys() {
        var out = new ArrayList<String>();
        entries.keySet().forEach(key -> {
            if (!Settings.KEYS.contains(key) && !(key.startsWith("custom.") && key.length() > "custom.".length())) {
                out.add(path + " line " + lines.get(key) + ": unknown key '" + key + "'" + Settings.nearest(key).map(k -> " (did you mean '" + k + "'?)").orElse(""));
            }
        });
        return out;
    }
}
