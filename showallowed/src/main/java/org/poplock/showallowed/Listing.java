package org.poplock.showallowed;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.poplock.common.address.Printable;
import org.poplock.common.config.Timeouts;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;

/** showallowed's listing: the published entries, as columns or one JSON object a line, streamed as they are read. */
final class Listing {

    private static final DateTimeFormatter LOGIN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private final Path db;
    private final boolean json;
    private final boolean all;
    private final Clock clock;
    private final PrintStream out;
    private final PrintStream err;
    /** Whether the table with users (and origins) is what is listed: else neither is known. */
    private boolean withUsers;
    /** The last login second formatted, and its text: a busy site's logins share their seconds. */
    private long formattedSecond = Long.MIN_VALUE;
    private String formattedLogin;
    private final Iso loginIso = new Iso();
    private final Iso expiryIso = new Iso();

    /** {@code json}: one object a line; {@code all}: expired entries too. */
    Listing(Path db, boolean json, boolean all, Clock clock, PrintStream out, PrintStream err) {
        this.db = db;
        this.json = json;
        this.all = all;
        this.clock = clock;
        this.out = out;
        this.err = err;
    }

    /** Lists the entries; the exit status: 0, or 111 when the database cannot be read. */
    int list() {
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
