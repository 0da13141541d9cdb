package org.poplock.readlog;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import jnr.posix.POSIXFactory;
import org.poplock.common.config.Cli;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.config.DurationConverter;
import org.poplock.common.config.PoplockVersion;
import org.poplock.readlog.parse.LoginParser;
import org.poplock.readlog.source.PipeReader;
import org.poplock.readlog.state.RelayState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * readlog's command line: the options, and nothing else. {@link #call} turns them into a checked
 * {@link ReadlogConfig} and hands it to the {@link Daemon} (or, for {@code --dry-run}, to a
 * {@link FollowLoop} that prints). Data path: {@link org.poplock.readlog.source.LogFollower} line →
 * {@link LoginParser} → {@link org.poplock.readlog.parse.Login} → {@link RelayState} →
 * {@link Publisher}.
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

    @Option(names = "--tcprules", paramLabel = "CDB",
            description = "also publish the live entries as a tcpserver rules CDB (built with tcprules, mode 0644), for tcpserver -x CDB;"
                    + " IPv6 ones when the tcprules program takes them (ucspi-tcp-ipv6)")
    Path tcpRules;

    @Option(names = "--tcprules-base", paramLabel = "FILE",
            description = "the admin's own tcprules rules (e.g. /etc/tcp.smtp): a grant keeps the rule tcpserver follows for its address"
                    + " and gains RELAYCLIENT; a deny stays a deny")
    Path tcpRulesBase;

    @Option(names = "--tcprules-program", paramLabel = "PROGRAM", defaultValue = "tcprules",
            description = "the tcprules that builds the CDB, of the same ucspi-tcp as the tcpserver that reads it (default: ${DEFAULT-VALUE})")
    String tcpRulesProgram;

    @Option(names = "--tcprules-refresh",
            description = "rebuild the tcprules CDB from the published database, without the grants that have expired, and exit"
                    + " (run every minute by poplock-tcprules.timer or the tcprules service directory)")
    boolean tcpRulesRefresh;

    @Option(names = "--tcprules-wait", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class, hidden = true,
            description = "how long one run of tcprules may take before it is killed")
    Duration tcpRulesWait;

    @Option(names = "--rotate-wait", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "how long a rotated log is still read after its last line, while the server may not have reopened its log yet (default: ${DEFAULT-VALUE})")
    Duration rotateWait;

    @Option(names = "--fifo", paramLabel = "PATH", split = ",",
            description = "a FIFO syslogd writes to (created if missing); read without ever blocking the writer")
    List<Path> fifos = new ArrayList<>();

    @Option(names = "--journal",
            description = "read logins from the systemd journal (through journalctl), resuming at the cursor saved in the state")
    boolean journal;

    @Option(names = "--journal-match", paramLabel = "FIELD=VALUE", split = ",",
            description = "journal entries to read, as journalctl's matches (repeatable; default: the units of the supported servers, "
                    + "_SYSTEMD_UNIT=dovecot.service ...)")
    List<String> journalMatches = new ArrayList<>();

    @Option(names = "--journal-directory", paramLabel = "DIR",
            description = "read the journal files in DIR (journalctl --directory; e.g. what systemd-journal-remote writes) instead of the system journal")
    Path journalDirectory;

    @Option(names = "--journalctl", paramLabel = "PROGRAM", defaultValue = "journalctl", hidden = true,
            description = "the journalctl to run")
    String journalctl;

    @Option(names = "--dovecot-policy", paramLabel = "ADDRESS",
            description = "be Dovecot's auth policy server on inet:HOST:PORT (keep it on loopback): its reports of successful POP3/IMAP logins are recorded")
    String dovecotPolicy;

    @Option(names = "--dovecot-policy-secret-file", paramLabel = "FILE",
            description = "the secret Dovecot sends as Authorization: Bearer SECRET (auth_policy_server_api_header)")
    Path dovecotPolicySecretFile;

    @Option(names = "--fifo-queue", paramLabel = "LINES", defaultValue = "" + PipeReader.QUEUE_LINES, hidden = true,
            description = "lines a FIFO's queue holds before the oldest are dropped")
    int fifoQueue;

    @Option(names = "--summary-every", paramLabel = "DURATION", defaultValue = "1h", converter = DurationConverter.class,
            description = "how often to log a summary line (default: ${DEFAULT-VALUE})")
    Duration summaryEvery;

    @Option(names = "--cluster", paramLabel = "URL",
            description = "share grants with the other hosts through Redis: redis://HOST:PORT/DB, rediss://HOST:PORT/DB for TLS")
    String cluster;

    @Option(names = "--cluster-user", paramLabel = "NAME", description = "the Redis ACL user this host proves itself with")
    String clusterUser;

    @Option(names = "--cluster-password-file", paramLabel = "FILE", description = "the file holding that user's password (never on the command line)")
    Path clusterPasswordFile;

    @Option(names = "--cluster-ca", paramLabel = "FILE",
            description = "with rediss:// (required): the CA certificate (PEM) the Redis and sentinel certificates are checked against; no other CA is trusted")
    Path clusterCa;

    @Option(names = "--cluster-name", paramLabel = "NAME", defaultValue = "poplock",
            description = "the prefix of the cluster's keys and stream in Redis (default: ${DEFAULT-VALUE})")
    String clusterName;

    @Option(names = "--cluster-sentinel", paramLabel = "HOST:PORT", split = ",",
            description = "find the Redis primary through these sentinels (with --cluster-master); repeatable")
    List<String> clusterSentinels = new ArrayList<>();

    @Option(names = "--cluster-master", paramLabel = "NAME", description = "the sentinels' name of the primary")
    String clusterMaster;

    @Option(names = "--cluster-primaries", paramLabel = "HOST[:PORT]|NET/BITS", split = ",",
            description = "with --cluster-sentinel (required): the Redis servers the sentinels may name as primary; any other is refused")
    List<String> clusterPrimaries = new ArrayList<>();

    @Option(names = "--cluster-sentinel-user", paramLabel = "NAME", description = "the sentinels' ACL user (else their requirepass alone)")
    String clusterSentinelUser;

    @Option(names = "--cluster-sentinel-password-file", paramLabel = "FILE",
            description = "the file holding the sentinels' password (their requirepass, or that user's)")
    Path clusterSentinelPasswordFile;

    @Option(names = "--cluster-host", paramLabel = "NAME", description = "this host's name in the cluster (default: the host name)")
    String clusterHost;

    @Option(names = "--policy", paramLabel = "ADDRESS", split = ",",
            description = "answer Postfix's check_policy_service and Exim's readsocket: unix:/path or inet:HOST:PORT; repeatable")
    List<String> policy = new ArrayList<>();

    @Option(names = "--policy-mode", paramLabel = "MODE", defaultValue = "0660",
            description = "the mode of a unix policy socket (default: ${DEFAULT-VALUE})")
    String policyMode;

    @Option(names = "--policy-group", paramLabel = "GROUP", description = "the group of a unix policy socket, one readlog's user is a member of (a set-group-ID directory gives its own instead)")
    String policyGroup;

    @Option(names = "--policy-action", paramLabel = "TEXT", defaultValue = "OK",
            description = "the access(5) action for a client with a live grant (default: ${DEFAULT-VALUE}); others get DUNNO")
    String policyAction;

    @Option(names = "--policy-idle", paramLabel = "DURATION", defaultValue = "300s", converter = DurationConverter.class,
            description = "close a policy client idle this long (default: ${DEFAULT-VALUE})")
    Duration policyIdle;

    @Option(names = "--policy-connections-per-client", paramLabel = "N", defaultValue = "512",
            description = "policy connections at once from one address over TCP; past it the one waiting longest is closed (default: ${DEFAULT-VALUE})")
    int policyConnectionsPerClient;

    @Option(names = "--budget-recipients-per-grant", paramLabel = "N", defaultValue = "0",
            description = "recipients a granted address may relay per --budget-window, counted by the policy service; more are deferred with 4.7.1; 0 is no limit (default: ${DEFAULT-VALUE})")
    int budgetPerGrant;

    @Option(names = "--budget-recipients-per-user", paramLabel = "N", defaultValue = "0",
            description = "recipients a user may relay per --budget-window across all their granted addresses; 0 is no limit (default: ${DEFAULT-VALUE})")
    int budgetPerUser;

    @Option(names = "--budget-window", paramLabel = "DURATION", defaultValue = "1h", converter = DurationConverter.class,
            description = "the window the budgets count in (default: ${DEFAULT-VALUE}); with --cluster one across every host")
    Duration budgetWindow;

    @Option(names = "--metrics", paramLabel = "ADDRESS",
            description = "serve /metrics (Prometheus) and /health over HTTP on inet:HOST:PORT (keep it on loopback)")
    String metrics;

    @Option(names = "--poll-ms", paramLabel = "MS", defaultValue = "10", hidden = true,
            description = "how often the logs are checked for new lines")
    int pollMillis;

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
        if (tcpRulesRefresh) {
            restrictNewFiles(log);
            return TcpRulesRefresh.run(config, clock, log);
        }
        var signals = Signals.install();
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
