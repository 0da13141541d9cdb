package org.poplock.common.config;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Runs a picocli command the qmail way: every option can also come from the environment
 * ({@code POPLOCK_DB}, {@code POPLOCK_TIMEOUT}: {@code envdir /etc/poplock/env readlog} works like
 * relay-ctrl's variables) or from the configuration file. One precedence: flag, then environment,
 * then configuration file, then default. A bad value is one line naming where it came from.
 */
public final class Cli {

    private Cli() {
    }

    /** Exit status: the command's, or 2 when the configuration cannot be read or holds a bad value. */
    public static int run(Object command, String name, String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        var cmd = new CommandLine(command);
        Defaults defaults;
        try {
            var config = ConfigFile.locate(args, env);
            var unknown = config.unknownKeys();
            if (!unknown.isEmpty()) {
                unknown.forEach(u -> err.println(name + ": " + u));
                return 2;
            }
            defaults = new Defaults(config, env);
        } catch (IOException e) {
            err.println(name + ": " + e.getMessage());
            return 2;
        }
        cmd.setDefaultValueProvider(defaults);
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(out, true));
        cmd.setParameterExceptionHandler((ex, badArgs) -> {
            // One line, for multilog: where the bad value came from, or where to look for the right one.
            var source = ex.getArgSpec() == null ? null : defaults.sourceOf(ex.getArgSpec(), badArgs);
            var message = String.valueOf(ex.getMessage()).strip().replaceAll("\\s*\n\\s*", "; ");
            err.println(name + ": " + (source == null ? message + " (" + name + " --help lists the options)" : "in " + source + ": " + message));
            return 2;
        });
        return cmd.execute(args);
    }

    /** Option defaults from the environment and the configuration file, remembering which. */
    public static final class Defaults implements CommandLine.IDefaultValueProvider {
        private final ConfigFile config;
        private final Map<String, String> env;
        private final Map<String, String> sources = new HashMap<>();

        public Defaults(ConfigFile config, Map<String, String> env) {
            this.config = config;
            this.env = env;
        }

        @Override
        public String defaultValue(ArgSpec spec) {
            if (!(spec instanceof OptionSpec option)) {
                return null;
            }
            var key = option.longestName().replaceFirst("^-+", "");
            var found = Settings.find(key, env, config);
            if (found.isEmpty()) {
                return option.defaultValue();
            }
            sources.put(key, found.get().origin());
            return found.get().value();
        }

        /** Where a bad value came from, when it was not the command line. */
        String sourceOf(ArgSpec spec, String[] args) {
            if (!(spec instanceof OptionSpec option)) {
                return null;
            }
            var onCommandLine = Arrays.stream(args).anyMatch(a -> Arrays.stream(option.names()).anyMatch(n -> a.equals(n) || a.startsWith(n + "=")));
            return onCommandLine ? null : sources.get(option.longestName().replaceFirst("^-+", ""));
        }
    }
}
