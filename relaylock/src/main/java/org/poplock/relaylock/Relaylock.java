package org.poplock.relaylock;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.poplock.common.address.IpAddress;
import org.poplock.common.address.Printable;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.config.Timeouts;
import org.poplock.common.store.RelayLookup;

/**
 * {@code relaylock [options] PROGRAM [ARG...]}, run by tcpserver for every SMTP connection:
 * looks up {@code TCPREMOTEIP} in the published relay database, sets {@code RELAYCLIENT} for an
 * address with a live entry, and becomes PROGRAM.
 *
 * <p>It must never stop mail: any trouble on the relay side (no database, a damaged one, a bad
 * address) costs one line on stderr and PROGRAM runs without RELAYCLIENT. Exit 111 only when
 * PROGRAM cannot be run, or the command line names none.
 */
public final class Relaylock {

    static final String USAGE = "usage: relaylock [--db PATH] [--config FILE] [--timeout DURATION] [--relayclient-value VALUE] "
            + "PROGRAM [ARG...]; relaylock --help tells more";

    private Relaylock() {
    }

    public static void main(String[] args) {
        var env = System.getenv();
        int i = 0;
        String db = null;
        String timeout = null;
        String value = null;
        boolean badOption = false;
        for (; i < args.length && args[i].startsWith("-"); i++) {
            var arg = args[i];
            if (arg.equals("--")) {
                i++;
                break;
            }
            if (arg.equals("--help") || arg.equals("-h") || arg.equals("--version")) {
                // Only here is picocli loaded: the per-connection path parses by hand.
                System.exit(new picocli.CommandLine(new RelaylockCommand()).execute(arg));
            }
            int eq = arg.indexOf('=');
            var name = eq > 0 ? arg.substring(0, eq) : arg;
            if (!name.equals("--db") && !name.equals("--config") && !name.equals("--timeout") && !name.equals("--relayclient-value")) {
                // A typo in a run script must not stop mail: say so, skip it, no RELAYCLIENT.
                warn("unknown option " + Printable.of(arg) + " (relaylock --help lists them)");
                badOption = true;
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
                fail("option " + name + " needs a value");
                return;
            }
            switch (name) {
                case "--db" -> db = optionValue;
                case "--timeout" -> timeout = optionValue;
                case "--relayclient-value" -> value = optionValue;
                default -> { } // --config: read below through ConfigFile.locate
            }
        }
        if (i >= args.length) {
            fail("no PROGRAM to run; " + USAGE);
        }
        var program = Arrays.copyOfRange(args, i, args.length);
        // An existing RELAYCLIENT (tcprules said so) is PROGRAM's already.
        var relay = env.containsKey("RELAYCLIENT") || badOption ? null : relayValue(Arrays.copyOfRange(args, 0, i), env, db, timeout, value);
        Exec.replaceWith(program, relay);
    }

    /** The RELAYCLIENT value for this connection, or null. Never throws: mail goes on whatever happens here. */
    static String relayValue(String[] options, Map<String, String> env, String db, String timeout, String value) {
        try {
            var remote = env.get("TCPREMOTEIP");
            if (remote == null) {
                warn("TCPREMOTEIP is not set (not run by tcpserver?)");
                return null;
            }
            var ip = IpAddress.bytesOrNull(remote);
            if (ip == null) {
                warn("TCPREMOTEIP " + Printable.of(remote) + " is not an IP address");
                return null;
            }
            var config = ConfigFile.locate(options, env);
            for (var unknown : config.unknownKeys()) {
                System.err.println("relaylock: " + unknown + "; ignored");
            }
            var dbPath = Path.of(setting(db, "db", env, config, ConfigFile.DEFAULT_DB));
            var timeoutText = setting(timeout, "timeout", env, config, null);
            var relay = setting(value, "relayclient-value", env, config, "");
            var entry = RelayLookup.find(dbPath, IpAddress.format(ip));
            if (entry.isEmpty()) {
                return null;
            }
            var now = Instant.now();
            var e = entry.get();
            boolean live = e.isLiveAt(now);
            if (live && timeoutText != null) {
                Duration limit;
                try {
                    limit = Timeouts.parse(timeoutText);
                } catch (IllegalArgumentException bad) {
                    throw new IllegalArgumentException("timeout (flag, $POPLOCK_TIMEOUT or " + config.path() + "): " + bad.getMessage());
                }
                live = now.isBefore(e.login().plus(limit));
            }
            return live ? relay : null;
        } catch (Throwable t) {
            warn(t.getMessage() != null ? t.getMessage() : t.toString());
            return null;
        }
    }

    /** Flag, then $POPLOCK_KEY, then the configuration file, then the default: as readlog and showallowed. */
    private static String setting(String flag, String key, Map<String, String> env, ConfigFile config, String fallback) {
        if (flag != null) {
            return flag;
        }
        var fromEnv = env.get(ConfigFile.variable(key));
        return fromEnv != null && !fromEnv.isEmpty() ? fromEnv : config.get(key, fallback);
    }

    /** Whether {@code name} names a program exec could run: a path to an executable file, or one on PATH. */
    private static boolean isProgram(String name) {
        if (name.indexOf('\0') >= 0) {
            return false;
        }
        if (name.indexOf('/') >= 0) {
            return java.nio.file.Files.isExecutable(Path.of(name)) && !java.nio.file.Files.isDirectory(Path.of(name));
        }
        var path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/bin:/usr/bin");
        for (var dir : path.split(":", -1)) {
            var candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (java.nio.file.Files.isExecutable(candidate) && !java.nio.file.Files.isDirectory(candidate)) {
                return true;
            }
        }
        return false;
    }

    private static void warn(String problem) {
        System.err.println("relaylock: " + problem.replace('\n', ' ') + "; running without RELAYCLIENT");
    }

    static void fail(String problem) {
        System.err.println("relaylock: " + problem);
        System.exit(111);
    }
}
