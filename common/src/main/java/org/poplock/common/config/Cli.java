package org.poplock.common.config;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;

/** Runs a picocli command with its defaults taken from the shared configuration file. */
public final class Cli {

    private Cli() {
    }

    /** Exit status: the command's, or 2 when the configuration file cannot be read. */
    public static int run(Object command, String name, String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        var cmd = new CommandLine(command);
        try {
            cmd.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(ConfigFile.locate(args, env).values()));
        } catch (IOException e) {
            err.println(name + ": " + e.getMessage());
            return 2;
        }
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(out, true));
        return cmd.execute(args);
    }
}
