package org.poplock.showallowed;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.poplock.common.config.Cli;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.config.DurationConverter;
import org.poplock.common.config.PoplockVersion;
import org.poplock.common.store.DatabaseDirectory;
import org.poplock.common.store.SpoolCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Lists who may relay now, from the database readlog publishes. Reads only; never opens readlog's state. */
@Command(header = "list and change who may relay through POP-before-SMTP",
        name = "showallowed", mixinStandardHelpOptions = true, versionProvider = PoplockVersion.class,
        sortOptions = false,
        description = "List the client addresses that may relay: address, user, login time, time left, and with budgets each grant's recipients against its budget.",
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
        if (add == null && remove == null && !flush && unflag == null) {
            return new Listing(db, json, all, clock, out, err).list();
        }
        SpoolCommand command;
        try {
            command = command();
        } catch (IllegalArgumentException e) {
            err.println("showallowed: " + e.getMessage());
            return 2;
        }
        return new AdminChange(db, waitFor, out, err).apply(command);
    }

    /** The one change the options ask for; IllegalArgumentException with one line for none or several, or a bad one. */
    private SpoolCommand command() {
        if ((add != null ? 1 : 0) + (remove != null ? 1 : 0) + (flush ? 1 : 0) + (unflag != null ? 1 : 0) != 1) {
            throw new IllegalArgumentException("give one of --add, --remove, --flush, --unflag");
        }
        if (add != null) {
            return new SpoolCommand.Add(add, (duration != null ? duration : timeout).toSeconds(), user);
        }
        if (unflag != null) {
            return new SpoolCommand.Unflag(unflag);
        }
        return remove != null ? new SpoolCommand.Remove(remove) : new SpoolCommand.Flush();
    }
}
