package org.poplock.showallowed;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.poplock.common.address.IpAddress;
import org.poplock.common.address.Printable;
import org.poplock.common.config.Cli;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.config.DurationConverter;
import org.poplock.common.config.PoplockVersion;
import org.poplock.common.config.Timeouts;
import org.poplock.common.store.DatabaseDirectory;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.common.store.Problems;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;
import org.poplock.common.store.Spool;
import org.poplock.common.store.SpoolCommand;
import org.poplock.common.store.StateOwner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** Lists who may relay now, from the database readlog publishes. Reads only; never opens readlog's state. */
@Command(header = "list and change who may relay through POP-before-SMTP",
        name = "showallowed", mixinStandardHelpOptions = true, versionProvider = PoplockVersion.class,
        sortOptions = false,
        description = "List the client addresses that may relay: address, user, login time, time left.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:listed", "2:bad arguments or configuration", "111:the database cannot be read"})
public final class ShowAllowed implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE",
            description = "configuration file (default: $POPLOCK_CONFIG, else " + ConfigFile.DEFAULT_PATH + ")")
    Path config;

    @Option(names = "--db", paramLabel = "PATH", defaultValue = ConfigFile.DEFAULT_DB,
            description = "published relay database (default: ${DEFAULT-VALUE})")
    Path db;

    @Option(names = "--json", description = "one JSON object per line, for scripts")
    boolean json;

    @Option(names = "--all", description = "also list stored entries that have expired")
    boolean all;

    @Option(names = "--add", paramLabel = "IP", description = "let IP relay (for --for, default the timeout), through readlog")
    String add;

    @Option(names = "--user", paramLabel = "NAME", defaultValue = "(admin)", description = "with --add: the user to show for it")
    String user;

    @Option(names = "--for", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "with --add: how long (e.g. 2h; default: --timeout)")
    Duration duration;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = ConfigFile.DEFAULT_TIMEOUT, hidden = true,
            converter = DurationConverter.class, description = "the configured timeout, the default of --for")
    Duration timeout;

    @Option(names = "--remove", paramLabel = "IP", description = "withdraw IP's grant, through readlog")
    String remove;

    @Option(names = "--flush", description = "withdraw every grant, through readlog")
    boolean flush;

    @Option(names = "--unflag", paramLabel = "USER",
            description = "lift the flag readlog put on USER for logins from too many networks (--flag-networks), through readlog")
    String unflag;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "10s", hidden = true,
            description = "how long to wait for readlog to take a change")
    String waitFor;

    private final Clock clock;
    private final PrintStream out;
    private final PrintStream err;

    /** For picocli's tools (man page, completion), which make the command themselves. */
    ShowAllowed() {
        this(Clock.systemDefaultZone(), System.out, System.err);
    }

    ShowAllowed(Clock clock, PrintStream out, PrintStream err) {
        this.clock = clock;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        // Buffered: a million lines, one write per 64 KiB rather than one per line.
        var out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 65536), false);
        int status = new ShowAllowed(Clock.systemDefaultZone(), out, System.err).run(args, System.getenv());
        out.flush();
        System.exit(status);
    }

    int run(String[] args, Map<String, String> env) {
        return Cli.run(this, "showallowed", args, env, out, err);
    }

    @Override
    public Integer call() {
        var badPath = DatabaseDirectory.problem("--db", db, false);
        if (badPath != null) {
            err.println("showallowed: " + badPath);
            return 2;
        }
        if (add != null || remove != null || flush || unflag != null) {
            return change();
        }
        if (!Files.exists(db)) {
            err.println("showallowed: no relay database at " + db + " (has readlog run yet?)");
            return 111;
        }
        RelayDatabase table;
        try {
            table = RelayDatabase.open(db);
        } catch (IOException e) {
            err.println("showallowed: cannot read " + db + ": " + e.getMessage());
            return 111;
        }
        if (!RelayDatabase.usersReadable(db) && Files.exists(new DatabaseLayout(db).users())) {
            err.println("showallowed: user names are in " + new DatabaseLayout(db).users()
                    + ", readable by root and readlog's group only; listing addresses without them");
        }
        var now = clock.instant();
        var zone = clock.getZone();
        withUsers = RelayDatabase.usersReadable(db);
        if (!json) {
            out.printf("%-39s %-24s %-19s %-9s %s%n", "ADDRESS", "USER", "LOGIN", "LEFT", "ORIGIN");
        }
        // Streamed: each entry printed as it is decoded, the first one flushed at once.
        var first = new boolean[] {true};
        try {
            table.forEach(e -> {
                if (all || e.isLiveAt(now)) {
                    out.println(json ? json(e, now) : row(e, now, zone));
                    if (first[0]) {
                        out.flush();
                        first[0] = false;
                    }
                }
            });
        } catch (IOException e) {
            out.flush();
            err.println("showallowed: cannot read " + db + ": " + e.getMessage());
            return 111;
        }
        return 0;
    }

    /**
     * Hands an admin's change to readlog through the spool and waits for readlog to take it:
     * showallowed never opens the state, which is readlog's alone.
     */
    private int change() {
        SpoolCommand command;
        try {
            if ((add != null ? 1 : 0) + (remove != null ? 1 : 0) + (flush ? 1 : 0) + (unflag != null ? 1 : 0) != 1) {
                throw new IllegalArgumentException("give one of --add, --remove, --flush, --unflag");
            }
            if (add != null) {
                command = new SpoolCommand.Add(add, (duration != null ? duration : timeout).toSeconds(), user);
            } else if (remove != null) {
                command = new SpoolCommand.Remove(remove);
            } else if (unflag != null) {
                command = new SpoolCommand.Unflag(unflag);
            } else {
                command = new SpoolCommand.Flush();
            }
        } catch (IllegalArgumentException e) {
            err.println("showallowed: " + e.getMessage());
            return 2;
        }
        // A user who may not write the spool may not read readlog's lock either: that is the
        // trouble to name, not readlog's absence.
        var spool = new DatabaseLayout(db).spool();
        var unwritable = Spool.unwritable(spool);
        if (unwritable != null) {
            err.println("showallowed: " + unwritable + "; nothing changed");
            return 111;
        }
        var owner = readlogPid();
        if (owner == null) {
            if (Files.exists(lockFile()) && !Files.isReadable(lockFile())) {
                err.println("showallowed: cannot tell whether readlog runs: cannot read " + lockFile() + ": Permission denied; nothing changed");
            } else {
                err.println("showallowed: readlog is not running (no live owner of " + lockFile() + "): nothing changed");
            }
            return 111;
        }
        try {
            var queued = Spool.submit(spool, command);
            long deadline = System.nanoTime() + Timeouts.parse(waitFor).toNanos();
            while (Files.exists(queued)) {
                if (System.nanoTime() > deadline) {
                    err.println("showallowed: readlog (pid " + owner + ") has not taken the change yet; it stays queued as " + queued);
                    return 111;
                }
                Thread.sleep(20);
            }
            out.println("showallowed: done: " + command.encode());
            return 0;
        } catch (IOException e) {
            err.println("showallowed: cannot queue the change in " + spool + ": " + Problems.reason(e));
            return 111;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 111;
        }
    }

    private Path lockFile() {
        return DatabaseLayout.lockOf(new DatabaseLayout(db).state());
    }

    /** The pid of the readlog that holds the state's lock, if that process is alive. */
    private Long readlogPid() {
        return StateOwner.alive(lockFile()).orElse(null);
    }

    private static final DateTimeFormatter LOGIN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    /** The last login second formatted, and its text: a busy site's logins share their seconds. */
    private long formattedSecond = Long.MIN_VALUE;
    private String formattedLogin;

    private String row(RelayEntry e, Instant now, ZoneId zone) {
        var left = e.isLiveAt(now) ? Timeouts.format(e.timeLeftAt(now)) : "expired";
        if (e.login().getEpochSecond() != formattedSecond) {
            formattedSecond = e.login().getEpochSecond();
            formattedLogin = LOGIN.format(e.login().atZone(zone));
        }
        var sb = new StringBuilder(110);
        pad(sb, e.ip(), 39);
        pad(sb, e.user().isEmpty() ? "?" : Printable.word(e.user()), 24);
        pad(sb, formattedLogin, 19);
        pad(sb, left, 9);
        return sb.append(!withUsers ? "?" : e.origin().isEmpty() ? "local" : e.origin()).toString();
    }

    /** Whether the table with users (and origins) is what is listed: else neither is known. */
    private boolean withUsers;

    /** {@code text} left-aligned in {@code width} columns and a space, as {@code %-Ns } would print it. */
    private static void pad(StringBuilder sb, String text, int width) {
        sb.append(text);
        for (int i = text.length(); i < width; i++) {
            sb.append(' ');
        }
        sb.append(' ');
    }

    /** An instant's ISO text, remembered for the next entry, which mostly has the same. */
    private static final class Iso {
        private Instant last;
        private String text;

        String of(Instant t) {
            if (!t.equals(last)) {
                last = t;
                text = t.toString();
            }
            return text;
        }
    }

    private final Iso loginIso = new Iso();
    private final Iso expiryIso = new Iso();

    private String json(RelayEntry e, Instant now) {
        return "{\"ip\":" + jsonString(e.ip()) + ",\"user\":" + (e.user().isEmpty() ? "null" : jsonString(e.user()))
                + ",\"login\":\"" + loginIso.of(e.login()) + "\",\"expiry\":\"" + expiryIso.of(e.expiry()) + "\""
                + ",\"seconds_left\":" + e.timeLeftAt(now).toSeconds() + ",\"live\":" + e.isLiveAt(now)
                + ",\"origin\":" + (!withUsers ? "null" : jsonString(e.origin().isEmpty() ? "local" : e.origin())) + "}";
    }

    static String jsonString(String s) {
        var sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0xd800 && c <= 0xdfff)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
