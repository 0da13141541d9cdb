package org.poplock.showallowed;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.poplock.common.address.Printable;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.config.Timeouts;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Lists who may relay now, from the database readlog publishes. Reads only; never opens readlog's state. */
@Command(name = "showallowed", mixinStandardHelpOptions = true, version = "showallowed (poplock) 0.1",
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

    private final Clock clock;
    private final PrintStream out;
    private final PrintStream err;

    ShowAllowed(Clock clock, PrintStream out, PrintStream err) {
        this.clock = clock;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(new ShowAllowed(Clock.systemDefaultZone(), System.out, System.err).run(args, System.getenv()));
    }

    int run(String[] args, Map<String, String> env) {
        return org.poplock.common.config.Cli.run(this, "showallowed", args, env, out, err);
    }

    @Override
    public Integer call() {
        if (!Files.exists(db)) {
            err.println("showallowed: no relay database at " + db + " (has readlog run yet?)");
            return 111;
        }
        java.util.List<RelayEntry> entries;
        try {
            entries = RelayDatabase.open(db).entries();
        } catch (IOException e) {
            err.println("showallowed: cannot read " + db + ": " + e.getMessage());
            return 111;
        }
        var now = clock.instant();
        var zone = clock.getZone();
        if (!json) {
            out.printf("%-39s %-24s %-19s %s%n", "ADDRESS", "USER", "LOGIN", "LEFT");
        }
        for (var e : entries) {
            if (!all && !e.isLiveAt(now)) {
                continue;
            }
            out.println(json ? json(e, now) : row(e, now, zone));
        }
        return 0;
    }

    private static String row(RelayEntry e, Instant now, ZoneId zone) {
        var left = e.isLiveAt(now) ? Timeouts.format(e.timeLeftAt(now)) : "expired";
        var login = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").format(e.login().atZone(zone));
        return String.format("%-39s %-24s %-19s %s", e.ip(), userText(e.user()), login, left);
    }

    private static String userText(String user) {
        return user.chars().anyMatch(c -> c <= ' ' || c == 0x7f || c == '"') ? Printable.of(user) : user;
    }

    private static String json(RelayEntry e, Instant now) {
        return "{\"ip\":" + jsonString(e.ip()) + ",\"user\":" + jsonString(e.user())
                + ",\"login\":" + jsonString(e.login().toString()) + ",\"expiry\":" + jsonString(e.expiry().toString())
                + ",\"seconds_left\":" + e.timeLeftAt(now).toSeconds() + ",\"live\":" + e.isLiveAt(now) + "}";
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
