package org.poplock.common.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * The one configuration file all three programs read, so that the daemon and the SMTP run script
 * cannot disagree on the database or the timeout. Java properties syntax, keys are the long
 * option names without dashes: {@code db = /var/lib/poplock/relay.db}, {@code timeout = 15m}.
 *
 * <p>Which file: {@code --config FILE}, else {@code $POPLOCK_CONFIG}, else {@value #DEFAULT_PATH}.
 * The default file may be missing; a file the admin named must exist.
 */
public record ConfigFile(Path path, Properties values) {

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
        var values = new Properties();
        try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            values.load(in);
        } catch (NoSuchFileException e) {
            if (required) {
                throw new NoSuchFileException(path.toString(), null, "configuration file not found");
            }
        }
        return new ConfigFile(path, values);
    }

    public String get(String key, String fallback) {
        var v = values.getProperty(key);
        return v == null ? fallback : v.trim();
    }
}
