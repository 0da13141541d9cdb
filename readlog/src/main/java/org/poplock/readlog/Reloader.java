package org.poplock.readlog;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;
import org.poplock.common.config.Cli;
import org.poplock.common.config.ConfigFile;
import picocli.CommandLine;

/**
 * Reads readlog's command line and configuration file again, for SIGHUP, with the same checks as
 * at start-up: a new configuration, or why there is none.
 */
final class Reloader {

    record Result(ReadlogConfig config, String error) {
    }

    private final String[] args;
    private final Map<String, String> env;
    private final Clock clock;

    Reloader(String[] args, Map<String, String> env, Clock clock) {
        this.args = args;
        this.env = env;
        this.clock = clock;
    }

    Result reload(ReadlogConfig running) {
        try {
            var file = ConfigFile.locate(args, env);
            var unknown = file.unknownKeys();
            if (!unknown.isEmpty()) {
                return new Result(null, unknown.get(0));
            }
            var fresh = new Readlog(clock, new PrintStream(PrintStream.nullOutputStream()), new PrintStream(PrintStream.nullOutputStream()));
            new CommandLine(fresh).setDefaultValueProvider(new Cli.Defaults(file, env)).parseArgs(args);
            return new Result(ReadlogConfig.of(fresh, file), null);
        } catch (IOException | RuntimeException e) {
            return new Result(null, String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }
}
