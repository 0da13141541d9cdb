package org.poplock.readlog;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import jnr.posix.POSIXFactory;
import org.poplock.common.config.Cli;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.config.DurationConverter;
import org.poplock.common.config.PoplockVersion;
import org.poplock.readlog.state.RelayState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * readlog's command line: the options, the general ones here and each feature's in its own class
 * ({@link SourceOptions}, {@link TcpRulesOptions}, {@link ClusterOptions}, {@link PolicyOptions},
 * {@link MetricsOptions}), listed under its heading by {@code --help}. {@link #call} turns them
 * into a checked {@link ReadlogConfig} and hands it to the {@link Daemon} (or, for
 * {@code --dry-run}, to a {@link FollowLoop} that prints). The data path is in docs/design.md.
 */
@Command(header = "record the addresses of successful POP3/IMAP logins from the mail log",
        name = "readlog", mixinStandardHelpOptions = true, versionProvider = PoplockVersion.class,
        sortOptions = false,
        description = "Follow POP3/IMAP server logs and record which client addresses may relay through SMTP.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:stopped on SIGTERM/SIGINT, or --once finished", "2:bad arguments or configuration",
            "1:standard input ended", "111:could not start (state in use, a FIFO that cannot be made, ...)"})
public final class Readlog implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE",
            description = "configuration file (default: $POPLOCK_CONFIG, else " + ConfigFile.DEFAULT_PATH + ")")
    Path config;

    @Option(names = "--log", paramLabel = "PATH", split = ",",
            description = "log file to follow, - for standard input; repeat for several")
    List<Path> logs = new ArrayList<>();

    @Option(names = "--db", paramLabel = "PATH", defaultValue = ConfigFile.DEFAULT_DB,
            description = "published relay database (default: ${DEFAULT-VALUE})")
    Path db;

    @Option(names = "--db-group", paramLabel = "GROUP",
            description = "the group that may read the user names published beside the database (DB.users, mode 0640; default: readlog's group)")
    String dbGroup;

    @Option(names = "--state", paramLabel = "PATH",
            description = "readlog's own state file (default: readlog.state beside --db)")
    Path state;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = ConfigFile.DEFAULT_TIMEOUT,
            converter = DurationConverter.class,
            description = "how long a login allows relaying, e.g. 900s, 15m (default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = "--once", description = "read the logs to their end, publish, and exit")
    boolean once;

    @Option(names = "--dry-run",
            description = "write nothing; print each recognised login: address, user, definition")
    boolean dryRun;

    @Option(names = "--parser", paramLabel = "NAME", split = ",",
            description = "only these server definitions (default: all built-in and custom ones); see --list-parsers")
    List<String> parsers = new ArrayList<>();

    @Option(names = "--list-parsers", description = "list the server definitions and exit")
    boolean listParsers;

    @Option(names = "--never-relay", paramLabel = "CIDR", split = ",",
            description = "never record logins from this network (a NAT gateway, networks that relay anyway); repeatable")
    List<String> neverRelay = new ArrayList<>();

    @Option(names = "--deny-user", paramLabel = "NAME", split = ",",
            description = "never record logins of this user; repeatable")
    List<String> denyUsers = new ArrayList<>();

    @Option(names = "--keep-while-connected",
            description = "a login's grant does not expire while its session is open (the server logs its end: Dovecot, Courier)")
    boolean keepWhileConnected;

    @Option(names = "--keep-at-most", paramLabel = "DURATION", defaultValue = "12h", converter = DurationConverter.class,
            description = "with --keep-while-connected: the longest a session keeps its grant (default: ${DEFAULT-VALUE})")
    Duration keepAtMost;

    @Option(names = "--rotate-wait", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "how long a rotated log is still read after its last line, while the server may not have reopened its log yet (default: ${DEFAULT-VALUE})")
    Duration rotateWait;

    @Option(names = "--summary-every", paramLabel = "DURATION", defaultValue = "1h", converter = DurationConverter.class,
            description = "how often to log a summary line (default: ${DEFAULT-VALUE})")
    Duration summaryEvery;

    @Option(names = "--poll-ms", paramLabel = "MS", defaultValue = "10", hidden = true,
            description = "how often the logs are checked for new lines")
    int pollMillis;

    @Mixin
    SourceOptions sources;

    @Mixin
    TcpRulesOptions tcp;

    @Mixin
    ClusterOptions clusterOptions;

    @Mixin
    PolicyOptions policyOptions;

    @Mixin
    BlastOptions blastOptions;

    @Mixin
    SocketmapOptions socketmap;

    @Mixin
    MetricsOptions metricsOptions;

    /** The options of each feature in a section of {@code readlog --help} under its heading, the general ones first. */
    @Spec
    void helpSections(CommandSpec spec) {
        spec.usageMessage().sectionMap().put(UsageMessageSpec.SECTION_KEY_OPTION_LIST, help -> {
            var sections = new LinkedHashMap<String, List<OptionSpec>>();
            sections.put("", new ArrayList<>());
            var headings = new HashMap<String, String>();
            for (var mixin : help.commandSpec().mixins().values()) {
                if (mixin.userObject() instanceof Sectioned s) {
                    mixin.options().forEach(o -> headings.put(o.longestName(), s.heading()));
                }
            }
            for (var option : help.commandSpec().options()) {
                if (!option.hidden()) {
                    sections.computeIfAbsent(headings.getOrDefault(option.longestName(), ""), h -> new ArrayList<>()).add(option);
                }
            }
            var text = new StringBuilder();
            sections.forEach((heading, options) -> text.append(heading.isEmpty() ? "" : String.format("%n%s:%n", heading))
                    .append(help.optionListExcludingGroups(options)));
            return text.toString();
        });
    }

    private final Clock clock;
    private final PrintStream out;
    private final PrintStream err;
    private ConfigFile configFile;
    private String[] args;
    private Map<String, String> env;

    /** For picocli's tools (man page, completion), which make the command themselves. */
    Readlog() {
        this(Clock.systemDefaultZone(), System.out, System.err);
    }

    Readlog(Clock clock, PrintStream out, PrintStream err) {
        this.clock = clock;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        var readlog = new Readlog(Clock.systemDefaultZone(), System.out, System.err);
        System.exit(readlog.run(args, System.getenv()));
    }

    int run(String[] args, Map<String, String> env) {
        this.args = args;
        this.env = env;
        try {
            configFile = ConfigFile.locate(args, env);
        } catch (IOException e) {
            err.println("readlog: " + e.getMessage());
            return 2;
        }
        return Cli.run(this, "readlog", args, env, out, err);
    }

    @Override
    public Integer call() {
        ReadlogConfig config;
        try {
            config = ReadlogConfig.of(this, configFile);
        } catch (IllegalArgumentException e) {
            err.println("readlog: " + e.getMessage());
            return 2;
        }
        if (listParsers) {
            config.definitions().forEach(d -> out.println(d.name() + " "
                    + (d.anyTag() ? "(custom, every line)" : String.join(",", new TreeSet<>(d.tags())))));
            return 0;
        }
        var log = new Messages(err);
        if (tcp.tcpRulesRefresh) {
            restrictNewFiles(log);
            return TcpRulesRefresh.run(config, clock, log);
        }
        var signals = Signals.install(log::say);
        if (dryRun) {
            return DryRun.run(config, clock, out, log, signals);
        }

        restrictNewFiles(log);
        try (var relayState = RelayState.open(config.state(), log::say)) {
            var reloader = new Reloader(args, env, clock);
            return new Daemon(config, relayState, clock, log, signals, reloader).run();
        } catch (IOException e) {
            err.println("readlog: " + e.getMessage());
            return 111;
        }
    }

    /**
     * Nothing readlog creates (state, its write-ahead logs, the lock, the spool) is readable by
     * other accounts: they hold who logged in from where. The published files set their own modes.
     */
    private static void restrictNewFiles(Messages log) {
        try {
            POSIXFactory.getNativePOSIX().umask(027);
        } catch (RuntimeException | LinkageError e) {
            log.say("cannot set umask 027 (" + e.getMessage() + "); the state may be readable by other accounts");
        }
    }
}
