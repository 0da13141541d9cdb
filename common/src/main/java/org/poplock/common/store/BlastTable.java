package org.poplock.common.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What readlog knows of a grant's blast radius that showallowed shows: the shared addresses with
 * the users who logged in from each within the timeout, the flagged users with when each flag
 * ends, and, when budgets are on, what each grant and user relayed in the budgets' window. readlog publishes it beside the database ({@link DatabaseLayout#blast()}), as a table in
 * the database's format, readable by root and readlog's group (it names users); showallowed reads
 * it and never readlog's state.
 */
public record BlastTable(SortedMap<String, List<String>> shared, SortedMap<String, Long> flaggedUntil, BudgetUsage budget) {

    /** A shared address's key: {@code shared IP}, its value the users separated by NUL. */
    static final String SHARED = "shared ";
    /** A flagged user's key: {@code flagged USER}, its value the flag's end in epoch milliseconds. */
    static final String FLAGGED = "flagged ";
    /** No window is longer, and none ends later, than the last millisecond of the year 9999: the sums of them cannot overflow. */
    static final long LATEST_MILLIS = 253_402_300_799_999L;

    /** The budgets' key, present when they are on: {@code PER-GRANT PER-USER WINDOW-MS WINDOW-END-MS}. */
    static final String BUDGET = "budget";
    /** A granted address's usage: {@code usage IP}, its value {@code RECIPIENTS MESSAGES}. */
    static final String USAGE = "usage ";
    /** A user's usage: {@code user-usage USER}, its value {@code RECIPIENTS}. */
    static final String USER_USAGE = "user-usage ";

    public static final BlastTable EMPTY = new BlastTable(new TreeMap<>(), new TreeMap<>(), BudgetUsage.OFF);

    /** {@code budget}: held as it is (it copies its own maps), so a publisher that hands the same one again compares it at no cost. */
    public BlastTable {
        var copy = new TreeMap<String, List<String>>();
        shared.forEach((ip, users) -> copy.put(ip, List.copyOf(users)));
        shared = Collections.unmodifiableSortedMap(copy);
        flaggedUntil = Collections.unmodifiableSortedMap(new TreeMap<>(flaggedUntil));
    }

    public static BlastTable of(Map<String, List<String>> shared, Map<String, Long> flaggedUntil) {
        return of(shared, flaggedUntil, BudgetUsage.OFF);
    }

    public static BlastTable of(Map<String, List<String>> shared, Map<String, Long> flaggedUntil, BudgetUsage budget) {
        return new BlastTable(new TreeMap<>(shared), new TreeMap<>(flaggedUntil), budget);
    }

    public boolean isEmpty() {
        return shared.isEmpty() && flaggedUntil.isEmpty() && !budget.on();
    }

    /** Written atomically at {@code file} with {@code mode} and {@code group} (null: the writer's), as the table of user names. */
    public void write(Path file, String mode, String group) throws IOException {
        var sorted = new TreeMap<String, byte[]>();
        shared.forEach((ip, users) -> sorted.put(SHARED + ip, String.join("\0", users).getBytes(StandardCharsets.UTF_8)));
        flaggedUntil.forEach((user, until) -> sorted.put(FLAGGED + user, ascii(Long.toString(until))));
        if (budget.on()) {
            sorted.put(BUDGET, ascii(budget.perGrant() + " " + budget.perUser() + " " + budget.windowMillis() + " " + budget.windowEnd()));
            budget.grants().forEach((ip, g) -> sorted.put(USAGE + ip, ascii(g.recipients() + " " + g.messages())));
            budget.users().forEach((user, n) -> sorted.put(USER_USAGE + user, ascii(Long.toString(n))));
        }
        RelayDatabase.publishEncoded(file, sorted, mode, group);
    }

    /** The table at {@code file}; IOException (one line) when it cannot be read or holds what this does not write. */
    public static BlastTable read(Path file) throws IOException {
        var shared = new TreeMap<String, List<String>>();
        var flagged = new TreeMap<String, Long>();
        var bad = new String[1];
        var limits = new long[4];
        var grants = new TreeMap<String, BudgetUsage.Grant>();
        var users = new TreeMap<String, Long>();
        RelayDatabase.forEachStored(file, (key, value) -> {
            if (key.equals(BUDGET)) {
                var n = numbers(value, 4);
                if (n == null || n[0] < 0 || n[1] < 0 || n[0] + n[1] == 0 || n[2] <= 0 || n[0] > Integer.MAX_VALUE || n[1] > Integer.MAX_VALUE
                        || n[2] > LATEST_MILLIS || n[3] > LATEST_MILLIS) {
                    bad[0] = "the budgets' limits are not four numbers (a window and its end before the year 10000)";
                } else {
                    System.arraycopy(n, 0, limits, 0, 4);
                }
            } else if (key.startsWith(USAGE)) {
                var n = numbers(value, 2);
                if (n == null) {
                    bad[0] = "the usage of " + key.substring(USAGE.length()) + " is not two numbers";
                } else {
                    grants.put(key.substring(USAGE.length()), new BudgetUsage.Grant(n[0], n[1]));
                }
            } else if (key.startsWith(USER_USAGE)) {
                var n = numbers(value, 1);
                if (n == null) {
                    bad[0] = "the usage of user " + key.substring(USER_USAGE.length()) + " is not a number";
                } else {
                    users.put(key.substring(USER_USAGE.length()), n[0]);
                }
            } else if (key.startsWith(SHARED)) {
                shared.put(key.substring(SHARED.length()), Arrays.asList(new String(value, StandardCharsets.UTF_8).split("\0")));
            } else if (key.startsWith(FLAGGED)) {
                try {
                    flagged.put(key.substring(FLAGGED.length()), Long.parseLong(new String(value, StandardCharsets.US_ASCII)));
                } catch (NumberFormatException e) {
                    bad[0] = "the flag of " + key.substring(FLAGGED.length()) + " has no end time";
                }
            } else if (!ReservedKeys.isReserved(key)) {
                bad[0] = "an unknown key";
            }
        });
        if (bad[0] == null && limits[2] == 0 && !(grants.isEmpty() && users.isEmpty())) {
            bad[0] = "usage without the budgets' limits";
        }
        if (bad[0] != null) {
            throw new IOException(file + " is not readlog's table of shared addresses and flags: " + bad[0]);
        }
        var budget = limits[2] == 0 ? BudgetUsage.OFF : new BudgetUsage((int) limits[0], (int) limits[1], limits[2], limits[3], grants, users);
        return new BlastTable(shared, flagged, budget);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code count} numbers separated by single spaces, none negative; null when the value is not that. */
    private static long[] numbers(byte[] value, int count) {
        var parts = new String(value, StandardCharsets.US_ASCII).split(" ", -1);
        if (parts.length != count) {
            return null;
        }
        var out = new long[count];
        try {
            for (int i = 0; i < count; i++) {
                out[i] = Long.parseLong(parts[i]);
                if (out[i] < 0) {
                    return null;
                }
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return out;
    }
}
