package org.poplock.readlog;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.poplock.common.address.Cidr;
import org.poplock.common.address.Printable;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.config.DurationConverter;
import org.poplock.common.config.Timeouts;
import org.poplock.common.store.DatabaseDirectory;
import org.poplock.common.store.Spool;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.parse.LoginParser;
import org.poplock.readlog.parse.ServerDefinition;
import org.poplock.readlog.source.LogFollower;
import org.poplock.readlog.source.LogSource;
import org.poplock.readlog.source.PipeReader;
import org.poplock.readlog.state.RelayState;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The daemon: follows the POP3/IMAP server's logs, records successful logins, and publishes the
 * live ones for relaylock. Data path: {@link LogFollower} line → {@link LoginParser} →
 * {@link Login} → {@link RelayState} → {@link Publisher}.
 */
@Command(header = "record the addresses of successful POP3/IMAP logins from the mail log",
        name = "readlog", mixinStandardHelpOptions = true, version = "readlog (poplock) 0.1",
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

    @Option(names = "--tcprules", paramLabel = "CDB",
            description = "also publish the live IPv4 entries as a tcpserver rules CDB (built with tcprules), for tcpserver -x CDB")
    Path tcpRules;

    @Option(names = "--tcprules-base", paramLabel = "FILE",
            description = "the admin's own tcprules rules, appended after the live entries (e.g. /etc/tcp.smtp)")
    Path tcpRulesBase;

    @Option(names = "--rotate-wait", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "how long a rotated log is still read after its last line, while the server may not have reopened its log yet (default: ${DEFAULT-VALUE})")
    Duration rotateWait;

    @Option(names = "--fifo", paramLabel = "PATH", split = ",",
            description = "a FIFO syslogd writes to (created if missing); read without ever blocking the writer")
    List<Path> fifos = new ArrayList<>();

    @Option(names = "--fifo-queue", paramLabel = "LINES", defaultValue = "100000", hidden = true,
            description = "lines a FIFO's queue holds before the oldest are dropped")
    int fifoQueue;

    @Option(names = "--summary-every", paramLabel = "DURATION", defaultValue = "1h", converter = DurationConverter.class,
            description = "how often to log a summary line (default: ${DEFAULT-VALUE})")
    Duration summaryEvery;

    @Option(names = "--poll-ms", paramLabel = "MS", defaultValue = "10", hidden = true,
            description = "how often the logs are checked for new lines")
    int pollMillis;

    private final Clock clock;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean reload = new AtomicBoolean();
    private ConfigFile configFile;
    private String[] args;
    private java.util.Map<String, String> env;

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

    int run(String[] args, java.util.Map<String, String> env) {
        this.args = args;
        this.env = env;
        try {
            configFile = ConfigFile.locate(args, env);
        } catch (IOException e) {
            err.println("readlog: " + e.getMessage());
            return 2;
        }
        return org.poplock.common.config.Cli.run(this, "readlog", args, env, out, err);
    }

    @Override
    public Integer call() {
        List<ServerDefinition> definitions;
        LoginPolicy policy;
        try {
            definitions = definitions();
            policy = new LoginPolicy(neverRelay.stream().map(Cidr::parse).toList(), java.util.Set.copyOf(denyUsers));
        } catch (IllegalArgumentException e) {
            err.println("readlog: " + e.getMessage());
            return 2;
        }
        if (listParsers) {
            definitions.forEach(d -> out.println(d.name() + " " + (d.anyTag() ? "(custom, every line)" : String.join(",", new java.util.TreeSet<>(d.tags())))));
            return 0;
        }
        if (tcpRulesBase != null && tcpRules == null) {
            err.println("readlog: --tcprules-base needs --tcprules CDB");
            return 2;
        }
        if (logs.isEmpty() && fifos.isEmpty()) {
            err.println("readlog: no log to follow: give --log PATH, --log - or --fifo PATH (or log = PATH in the configuration file)");
            return 2;
        }
        var badPath = DatabaseDirectory.problem("--db", db, true);
        if (badPath == null && state != null) {
            badPath = DatabaseDirectory.problem("--state", state, true);
        }
        if (badPath != null && !dryRun) {
            err.println("readlog: " + badPath);
            return 2;
        }
        var parser = new LoginParser(definitions, clock);
        if (!dryRun) {
            restrictNewFiles();
        }
        installSignalHandlers();
        if (dryRun) {
            return dryRun(parser, policy);
        }
        var statePath = state != null ? state : Spool.stateBeside(db);
        try (var relayState = RelayState.open(statePath, this::say)) {
            return follow(parser, policy, relayState);
        } catch (IOException e) {
            err.println("readlog: " + e.getMessage());
            return 111;
        }
    }

    /**
     * The built-in definitions and the admin's {@code custom.NAME = expression} ones, narrowed by
     * {@code --parser}.
     */
    private List<ServerDefinition> definitions() {
        var all = new ArrayList<>(ServerDefinition.builtIn());
        configFile.entries().forEach((key, values) -> {
            if (key.startsWith("custom.")) {
                all.add(ServerDefinition.custom(key.substring("custom.".length()), values));
            }
        });
        if (parsers.isEmpty()) {
            return all;
        }
        var names = all.stream().map(ServerDefinition::name).toList();
        for (var p : parsers) {
            if (!names.contains(p)) {
                throw new IllegalArgumentException("unknown parser '" + p + "' (known: " + String.join(", ", names) + ")");
            }
        }
        return all.stream().filter(d -> parsers.contains(d.name())).toList();
    }

    private int dryRun(LoginParser parser, LoginPolicy policy) {
        var sources = sources(null);
        if (sources == null) {
            return 111;
        }
        do {
            for (var f : sources) {
                f.poll(line -> parser.parse(line).ifPresent(l -> out.println(l.ip() + " " + Printable.word(l.user()) + " " + l.server()
                        + policy.refusal(l).map(why -> " (not recorded: " + why + ")").orElse(""))));
            }
            if (sources.stream().anyMatch(LogSource::ended)) {
                break;
            }
        } while (!once && !stopping.get() && pause());
        sources.forEach(LogSource::close);
        return 0;
    }

    private int follow(LoginParser parser, LoginPolicy policy, RelayState relayState) {
        var publisher = new Publisher(db, dbGroup, tcpRules == null ? null : new TcpRules(tcpRules, tcpRulesBase), this::say);
        AdminCommands admin;
        try {
            admin = new AdminCommands(Spool.beside(db), this::say);
        } catch (IOException e) {
            say("cannot create the spool for showallowed's changes: " + e.getMessage());
            return 111;
        }
        var sources = sources(relayState);
        if (sources == null) {
            return 111;
        }
        say("following " + sources.stream().map(LogSource::name).toList()
                + ", publishing " + db + ", timeout " + Timeouts.format(timeout));
        var now = clock.instant();
        relayState.sweep(now);
        relayState.commit();
        boolean dirty = !publisher.publish(relayState, now);
        var counts = new long[2]; // lines read, logins recorded
        var round = new int[1];
        long nextSummary = System.nanoTime() + summaryEvery.toNanos();
        int status = 0;
        long lastCommit = 0;
        boolean writeFailing = false;
        while (true) {
            round[0] = 0;
            int lines = 0;
            var roundParser = parser;
            var roundPolicy = policy;
            for (var f : sources) {
                lines += f.poll(line -> {
                    var login = roundParser.parse(line).filter(l -> roundPolicy.refusal(l).isEmpty());
                    if (login.isPresent()) {
                        if (relayState.record(login.get(), timeout, clock.instant())) {
                            round[0]++;
                        }
                        if (keepWhileConnected && login.get().session() != null) {
                            relayState.sessionOpened(login.get().session(), login.get().ip(), login.get().time());
                        }
                    } else if (keepWhileConnected) {
                        roundParser.logout(line).ifPresent(relayState::sessionClosed);
                    }
                });
            }
            counts[0] += lines;
            counts[1] += round[0];
            now = clock.instant();
            round[0] += admin.apply(relayState, now);
            if (keepWhileConnected) {
                round[0] += relayState.keepOpen(now, timeout, keepAtMost);
            }
            var next = relayState.nextExpiry();
            boolean expired = next.isPresent() && !next.get().isAfter(now) && relayState.sweep(now) > 0;
            // Publish first: relaylock waits on it; the state commit that follows only guards
            // against a crash, and a crash before it just makes readlog read those lines again.
            if (round[0] > 0 || expired || dirty) {
                dirty = !publisher.publish(relayState, now);
            }
            // Commit at most a few times a second: the writer thread's fsyncs then cost the publish
            // path nothing, and a crash costs only reading those lines again.
            // A failed state (full disk) is retried on a quiet log too: RelayState paces the retries.
            boolean changed = lines > 0 || expired || round[0] > 0 || relayState.writeFailure() != null;
            if (changed && (System.nanoTime() - lastCommit >= COMMIT_EVERY_NANOS || once || stopping.get())) {
                savePositions(sources, relayState);
                relayState.commit();
                lastCommit = System.nanoTime();
            }
            if (relayState.writeFailure() != null && !writeFailing) {
                say("cannot save state: " + relayState.writeFailure() + "; serving from memory, writing it anew every few seconds until there is room");
            } else if (relayState.writeFailure() == null && writeFailing) {
                say("state saved again");
            }
            writeFailing = relayState.writeFailure() != null;
            if (System.nanoTime() - nextSummary >= 0 || stopping.get() || once) {
                nextSummary = System.nanoTime() + summaryEvery.toNanos();
                say(summary(counts, sources, relayState, publisher));
            }
            var ended = sources.stream().filter(LogSource::ended).findFirst();
            if (ended.isPresent()) {
                say(ended.get().name().equals("-") ? "standard input ended; stopping" : ended.get().name() + " ended; stopping");
                status = 1;
                break;
            }
            if (once || stopping.get() || !pause()) {
                break;
            }
            if (reload.getAndSet(false)) {
                var reloaded = reload(relayState, sources);
                if (reloaded != null) {
                    parser = reloaded.parser();
                    policy = reloaded.policy();
                    sources = reloaded.sources();
                    dirty = true;
                }
            }
        }
        savePositions(sources, relayState);
        sources.forEach(LogSource::close);
        say(once ? "read to the end, published " + db : "stopped; last publish " + publisher.lastPublish());
        return status;
    }

    private static final long COMMIT_EVERY_NANOS = 250_000_000L;

    /** How far each log has been read goes into the state with the entries those lines made. */
    private static void savePositions(List<LogSource> sources, RelayState relayState) {
        for (var f : sources) {
            var p = f.positions();
            if (!p.isEmpty()) {
                relayState.savePositions(f.name(), p);
            }
        }
    }

    private String summary(long[] counts, List<LogSource> sources, RelayState relayState, Publisher publisher) {
        long dropped = sources.stream().mapToLong(LogSource::dropped).sum();
        return "summary: " + counts[0] + " lines read, " + counts[1] + " logins recorded, " + dropped + " lines dropped, "
                + relayState.size() + " live entries, last publish " + publisher.lastPublish();
    }

    record Reloaded(LoginParser parser, LoginPolicy policy, List<LogSource> sources) {
    }

    /**
     * SIGHUP: read the configuration file again and reopen the log files (where they stand; a
     * FIFO and standard input stay as they are). A bad configuration keeps the running one.
     */
    private Reloaded reload(RelayState relayState, List<LogSource> sources) {
        var fresh = new Readlog(clock, out, err);
        try {
            fresh.configFile = ConfigFile.locate(args, env);
            new CommandLine(fresh).setDefaultValueProvider(new org.poplock.common.config.Cli.Defaults(fresh.configFile, env)).parseArgs(args);
            var definitions = fresh.definitions();
            var policy = new LoginPolicy(fresh.neverRelay.stream().map(Cidr::parse).toList(), java.util.Set.copyOf(fresh.denyUsers));
            savePositions(sources, relayState);
            relayState.commit();
            timeout = fresh.timeout;
            var reopened = new ArrayList<LogSource>();
            for (var f : sources) {
                if (f instanceof LogFollower) {
                    f.close();
                } else {
                    reopened.add(f);
                }
            }
            logs = fresh.logs;
            for (var path : logs) {
                if (!path.toString().equals("-")) {
                    reopened.add(follower(path, relayState));
                }
            }
            say("reloaded " + fresh.configFile.path() + "; " + definitions.size() + " definitions, timeout " + Timeouts.format(timeout));
            return new Reloaded(new LoginParser(definitions, clock), policy, reopened);
        } catch (IOException | RuntimeException e) {
            say("reload failed, keeping the running configuration: " + e.getMessage());
            return null;
        }
    }

    /** A follower for a log file, resuming at its saved position when there is a state (a dry run has none). */
    private LogFollower follower(Path path, RelayState relayState) {
        var absolute = path.toAbsolutePath();
        return new LogFollower(absolute, relayState == null ? List.of() : relayState.positions(absolute.toString()), rotateWait, this::say);
    }

    /** The files to follow, standard input for {@code -}, and the FIFOs; null (after saying why) if a FIFO cannot be opened. */
    private List<LogSource> sources(RelayState relayState) {
        var out = new ArrayList<LogSource>();
        for (var path : logs) {
            if (path.toString().equals("-")) {
                out.add(PipeReader.stdin(System.in, this::say));
                continue;
            }
            out.add(follower(path, relayState));
        }
        for (var fifo : fifos) {
            try {
                out.add(PipeReader.fifo(fifo, fifoQueue, this::say));
            } catch (IOException e) {
                say("cannot read FIFO " + fifo + ": " + e.getMessage());
                out.forEach(LogSource::close);
                return null;
            }
        }
        return out;
    }

    /**
     * Nothing readlog creates (state, its write-ahead logs, the lock, the spool) is readable by
     * other accounts: they hold who logged in from where. The published files set their own modes.
     */
    private void restrictNewFiles() {
        try {
            jnr.posix.POSIXFactory.getNativePOSIX().umask(027);
        } catch (RuntimeException | LinkageError e) {
            say("cannot set umask 027 (" + e.getMessage() + "); the state may be readable by other accounts");
        }
    }

    private boolean pause() {
        try {
            Thread.sleep(pollMillis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void installSignalHandlers() {
        // Finish the round, publish and close the state cleanly, then exit 0 (a shutdown hook would exit 143).
        for (var name : List.of("TERM", "INT")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> stopping.set(true));
        }
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> reload.set(true));
    }

    private void say(String message) {
        err.println("readlog: " + message);
    }
}
