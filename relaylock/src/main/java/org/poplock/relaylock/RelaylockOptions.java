package org.poplock.relaylock;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.poplock.common.address.Printable;

/**
 * relaylock's command line, parsed by hand on every SMTP connection (loading picocli would cost
 * 40-240 ms; {@link RelaylockCommand} declares the same names for {@code --help} and the man page).
 * Never fails: an unknown option is a problem to report, and PROGRAM still runs.
 *
 * @param db         {@code --db}, or null
 * @param config     {@code --config}, or null
 * @param maxLoginAge {@code --max-login-age} as written, or null
 * @param relayValue {@code --relayclient-value}, or null
 * @param help       {@code --help}, {@code -h} or {@code --version} as given, or null
 * @param problems   what was wrong, one line each; any problem costs RELAYCLIENT
 * @param options    the arguments before PROGRAM, for {@code --config} lookup
 * @param program    PROGRAM and its arguments; empty when none is named
 */
record RelaylockOptions(String db, String config, String maxLoginAge, String relayValue, String help, List<String> problems,
        String[] options, String[] program) {

    static final String DB = "--db";
    static final String CONFIG = "--config";
    static final String MAX_LOGIN_AGE = "--max-login-age";
    static final String RELAYCLIENT_VALUE = "--relayclient-value";
    /**
     * relaylock follows each grant's stored expiry, which readlog and the admin may have moved
     * past the login's timeout: the grant length is readlog's setting, never relaylock's.
     */
    static final String TIMEOUT_IS_READLOGS = " (a grant's length is readlog's --timeout: relaylock follows the expiry readlog stored;"
            + " --max-login-age caps a login's age)";
    static final List<String> NAMES = List.of(DB, CONFIG, MAX_LOGIN_AGE, RELAYCLIENT_VALUE);

    static RelaylockOptions parse(String[] args) {
        String db = null;
        String config = null;
        String maxLoginAge = null;
        String value = null;
        String help = null;
        var problems = new ArrayList<String>();
        int i = 0;
        for (; i < args.length && args[i].startsWith("-"); i++) {
            var arg = args[i];
            if (arg.equals("--")) {
                i++;
                break;
            }
            if (arg.equals("--help") || arg.equals("-h") || arg.equals("--version")) {
                help = arg;
                continue;
            }
            int eq = arg.indexOf('=');
            var name = eq > 0 ? arg.substring(0, eq) : arg;
            if (!NAMES.contains(name)) {
                // A typo in a run script must not stop mail: reported, skipped, no RELAYCLIENT.
                problems.add("unknown option " + Printable.of(arg) + (name.equals("--timeout") ? TIMEOUT_IS_READLOGS : " (relaylock --help lists them)"));
                if (eq < 0 && i + 2 < args.length && !isProgram(args[i + 1]) && isProgram(args[i + 2])) {
                    i++; // its value: what follows it is no program, the next one is
                }
                continue;
            }
            String optionValue;
            if (eq > 0) {
                optionValue = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                optionValue = args[++i];
            } else {
                problems.add("option " + name + " needs a value");
                i++;
                break;
            }
            switch (name) {
                case DB -> db = optionValue;
                case CONFIG -> config = optionValue;
                case MAX_LOGIN_AGE -> maxLoginAge = optionValue;
                default -> value = optionValue;
            }
        }
        int end = Math.min(i, args.length);
        return new RelaylockOptions(db, config, maxLoginAge, value, help, List.copyOf(problems), Arrays.copyOfRange(args, 0, end),
                Arrays.copyOfRange(args, end, args.length));
    }

    /** Whether {@code name} names a program exec could run: a path to an executable file, or one on PATH. */
    private static boolean isProgram(String name) {
        if (name.indexOf('\0') >= 0) {
            return false;
        }
        if (name.indexOf('/') >= 0) {
            return Files.isExecutable(Path.of(name)) && !Files.isDirectory(Path.of(name));
        }
        var path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/bin:/usr/bin");
        for (var dir : path.split(":", -1)) {
            var candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                return true;
            }
        }
        return false;
    }
}
