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
 * the users who logged in from each within the timeout, and the flagged users with when each flag
 * ends. readlog publishes it beside the database ({@link DatabaseLayout#blast()}), as a table in
 * the database's format, readable by root and readlog's group (it names users); showallowed reads
 * it and never readlog's state.
 */
public record BlastTable(SortedMap<String, List<String>> shared, SortedMap<String, Long> flaggedUntil) {

    /** A shared address's key: {@code shared IP}, its value the users separated by NUL. */
    static final String SHARED = "shared ";
    /** A flagged user's key: {@code flagged USER}, its value the flag's end in epoch milliseconds. */
    static final String FLAGGED = "flagged ";

    public static final BlastTable EMPTY = new BlastTable(new TreeMap<>(), new TreeMap<>());

    public BlastTable {
        var copy = new TreeMap<String, List<String>>();
        shared.forEach((ip, users) -> copy.put(ip, List.copyOf(users)));
        shared = Collections.unmodifiableSortedMap(copy);
        flaggedUntil = Collections.unmodifiableSortedMap(new TreeMap<>(flaggedUntil));
    }

    public static BlastTable of(Map<String, List<String>> shared, Map<String, Long> flaggedUntil) {
        return new BlastTable(new TreeMap<>(shared), new TreeMap<>(flaggedUntil));
    }

    public boolean isEmpty() {
        return shared.isEmpty() && flaggedUntil.isEmpty();
    }

    /** Written atomically at {@code file} with {@code mode} and {@code group} (null: the writer's), as the table of user names. */
    public void write(Path file, String mode, String group) throws IOException {
        var sorted = new TreeMap<String, byte[]>();
        shared.forEach((ip, users) -> sorted.put(SHARED + ip, String.join("\0", users).getBytes(StandardCharsets.UTF_8)));
        flaggedUntil.forEach((user, until) -> sorted.put(FLAGGED + user, Long.toString(until).getBytes(StandardCharsets.US_ASCII)));
        RelayDatabase.publishEncoded(file, sorted, mode, group);
    }

    /** The table at {@code file}; IOException (one line) when it cannot be read or holds what this does not write. */
    public static BlastTable read(Path file) throws IOException {
        var shared = new TreeMap<String, List<String>>();
        var flagged = new TreeMap<String, Long>();
        var bad = new String[1];
        RelayDatabase.forEachStored(file, (key, value) -> {
            if (key.startsWith(SHARED)) {
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
        if (bad[0] != null) {
            throw new IOException(file + " is not readlog's table of shared addresses and flags: " + bad[0]);
        }
        return new BlastTable(shared, flagged);
    }
}
