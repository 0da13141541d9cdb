package org.poplock.showallowed;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.poplock.common.address.Printable;
import org.poplock.common.config.Timeouts;
import org.poplock.common.store.BlastTable;
import org.poplock.common.store.BudgetUsage;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;

/**
 * showallowed's listing: the published entries, as columns or one JSON object a line, streamed as
 * they are read, each with its budget's usage when readlog published budgets; then the shared
 * addresses with their users and the flagged users readlog published.
 */
final class Listing {

    private static final DateTimeFormatter LOGIN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("HH:mm");
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("HH:mm:ss");

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
    /** The shared addresses and flagged users readlog published, for marking the rows and listing after them. */
    private BlastTable blast = BlastTable.EMPTY;
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
        blast = blastTable();
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
        listBlast(now, zone);
        return 0;
    }

    /**
     * readlog's table of shared addresses and flagged users beside the database, when this user
     * may read it (it names users, as the table of user names does); else none.
     */
    private BlastTable blastTable() {
        var file = new DatabaseLayout(db).blast();
        if (!Files.isReadable(file)) {
            return BlastTable.EMPTY;
        }
        try {
            return BlastTable.read(file);
        } catch (IOException e) {
            err.println("showallowed: cannot read " + file + ": " + e.getMessage() + "; listing without shared addresses and flags");
            return BlastTable.EMPTY;
        }
    }

    /** The shared addresses with their users, then the flagged users, after the grants. */
    private void listBlast(Instant now, ZoneId zone) {
        if (json) {
            blast.shared().forEach((ip, users) -> out.println("{\"shared_address\":" + jsonString(ip) + ",\"users\":["
                    + String.join(",", users.stream().map(Listing::jsonString).toList()) + "]}"));
            blast.flaggedUntil().forEach((user, until) -> out.println("{\"flagged_user\":" + jsonString(user) + ",\"until\":\""
                    + Instant.ofEpochMilli(until) + "\",\"seconds_left\":" + Math.max(0, (until - now.toEpochMilli()) / 1000) + "}"));
            return;
        }
        if (!blast.shared().isEmpty()) {
            out.printf("%n%-39s %s%n", "SHARED ADDRESS", "USERS (within the timeout)");
            blast.shared().forEach((ip, users) -> out.printf("%-39s %s%n", ip, String.join(" ", users.stream().map(Printable::word).toList())));
        }
        if (!blast.flaggedUntil().isEmpty()) {
            out.printf("%n%-24s %-19s %s%n", "FLAGGED USER", "UNTIL", "LEFT");
            blast.flaggedUntil().forEach((user, until) -> out.printf("%-24s %-19s %s%n", Printable.word(user),
                    LOGIN.format(Instant.ofEpochMilli(until).atZone(zone)), Timeouts.format(Duration.ofMillis(Math.max(0, until - now.toEpochMilli())))));
        }
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
        sb.append(!withUsers ? "?" : e.origin().isEmpty() ? "local" : e.origin());
        if (blast.shared().containsKey(e.ip())) {
            sb.append(" shared");
        }
        if (blast.budget().on() && e.isLiveAt(now)) {
            budgetText(sb, e, now.toEpochMilli(), zone);
        }
        return sb.toString();
    }

    /**
     * {@code  budget 7/10 user 12/500 until 14:00}: the grant's recipients in the budgets' window
     * against its limit, the user's against theirs (each only when that budget is on), {@code over}
     * when one went past it (the recipients past it were deferred), and when the window ends.
     */
    private void budgetText(StringBuilder sb, RelayEntry e, long now, ZoneId zone) {
        var budget = blast.budget();
        sb.append(" budget");
        long grant = budget.grant(e.ip(), now).recipients();
        if (budget.perGrant() > 0) {
            sb.append(' ').append(grant).append('/').append(budget.perGrant());
        }
        long user = e.user().isEmpty() ? 0 : budget.user(e.user(), now);
        if (budget.perUser() > 0 && !e.user().isEmpty()) {
            sb.append(" user ").append(user).append('/').append(budget.perUser());
        }
        if (over(budget, grant, user)) {
            sb.append(" over");
        }
        var end = Instant.ofEpochMilli(budget.endAt(now)).atZone(zone);
        var today = Instant.ofEpochMilli(now).atZone(zone).toLocalDate();
        sb.append(" until ").append((end.toLocalDate().equals(today) ? end.getSecond() == 0 ? MINUTE : SECOND : LOGIN).format(end));
    }

    private static boolean over(BudgetUsage budget, long grant, long user) {
        return budget.perGrant() > 0 && grant > budget.perGrant() || budget.perUser() > 0 && user > budget.perUser();
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
                + ",\"origin\":" + (!withUsers ? "null" : jsonString(e.origin().isEmpty() ? "local" : e.origin()))
                + ",\"shared\":" + blast.shared().containsKey(e.ip()) + (blast.budget().on() ? budgetJson(e, now) : "") + "}";
    }

    /** The budget's fields: the same as {@link #budgetText}, a limit that is off as null, the user's null when not known. */
    private String budgetJson(RelayEntry e, Instant at) {
        var budget = blast.budget();
        long now = at.toEpochMilli();
        var grant = budget.grant(e.ip(), now);
        boolean user = budget.perUser() > 0 && !e.user().isEmpty();
        long userCount = user ? budget.user(e.user(), now) : 0;
        return ",\"budget_recipients\":" + grant.recipients() + ",\"budget_messages\":" + grant.messages()
                + ",\"budget_limit\":" + (budget.perGrant() > 0 ? budget.perGrant() : "null")
                + ",\"budget_user_recipients\":" + (user ? userCount : "null")
                + ",\"budget_user_limit\":" + (user ? budget.perUser() : "null")
                + ",\"budget_over\":" + over(budget, grant.recipients(), userCount)
                + ",\"budget_until\":\"" + Instant.ofEpochMilli(budget.endAt(now)) + "\"";
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
