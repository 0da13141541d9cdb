package org.poplock.readlog.journal;

import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import org.poplock.common.address.HostName;
import org.poplock.common.address.Printable;
import org.poplock.readlog.parse.ServerDefinition;

/**
 * Which journal entries are a server's own: the definitions whose tags name the entry's
 * {@code SYSLOG_IDENTIFIER} (which any sender sets) must trust its {@code _EXE} and {@code _UID}
 * (which journald sets). A trusted entry becomes the syslog line the definitions parse, stamped
 * with the entry's own time; an untrusted one is parsed too, so that a forged login is named as
 * one, and never recorded.
 */
public final class JournalTrust {

    /** What an entry is: the line to parse, and why its sender is not trusted (null when it is). */
    public record Verdict(String line, String untrusted) {
    }

    private static final String IDENTIFIER = "[A-Za-z0-9][A-Za-z0-9._/-]{0,63}";

    private final Map<String, List<Trusted>> byIdentifier = new HashMap<>();

    private record Trusted(String definition, List<Pattern> programs, Set<Long> uids) {
        boolean trusts(String exe, long uid) {
            return uids.contains(uid) && programs.stream().anyMatch(p -> p.matcher(exe).matches());
        }
    }

    /** {@code uid} resolves a user name to its number (-1 when there is no such user). */
    public JournalTrust(List<ServerDefinition> definitions, ToIntFunction<String> uid) {
        for (var def : definitions) {
            if (def.anyTag()) {
                continue; // an admin's any-line expression names no sender: not used for the journal
            }
            var uids = new HashSet<Long>();
            for (var user : def.journal().users()) {
                long n = user.matches("[0-9]{1,10}") ? Long.parseLong(user) : user.equals("root") ? 0 : uid.applyAsInt(user);
                if (n >= 0) {
                    uids.add(n);
                }
            }
            var trusted = new Trusted(def.name(), def.journal().programPatterns(), Set.copyOf(uids));
            def.tags().forEach(tag -> byIdentifier.computeIfAbsent(tag, t -> new ArrayList<>()).add(trusted));
        }
    }

    /** The journal matches of these definitions' units: what {@code --journal} follows by default. */
    public static List<String> defaultMatches(List<ServerDefinition> definitions) {
        var out = new LinkedHashSet<String>();
        definitions.forEach(d -> d.journal().units().forEach(u -> out.add("_SYSTEMD_UNIT=" + u)));
        return List.copyOf(out);
    }

    /**
     * The entry as a line for the parser, or null when no definition reads lines of its identifier or it has no usable message;
     * IllegalArgumentException for an entry a definition would read that has no usable time.
     */
    public Verdict check(JournalEntry entry) {
        var identifier = entry.field("SYSLOG_IDENTIFIER");
        var message = entry.field("MESSAGE");
        if (identifier == null || message == null || !identifier.matches(IDENTIFIER) || message.equals(ExportFormat.TOO_LONG)) {
            return null;
        }
        var candidates = byIdentifier.get(identifier);
        if (candidates != null && entry.time() == null) {
            throw new IllegalArgumentException("its __REALTIME_TIMESTAMP is no time between the epoch and the year 9999");
        }
        if (candidates == null || message.indexOf('\n') >= 0 || message.indexOf('\r') >= 0 || message.indexOf('\0') >= 0) {
            return null; // a line break inside a message is no line any definition matches
        }
        var host = entry.field("_HOSTNAME");
        var pid = entry.field("SYSLOG_PID") != null ? entry.field("SYSLOG_PID") : entry.field("_PID");
        var line = DateTimeFormatter.ISO_INSTANT.format(entry.time()) + " " + (host != null && HostName.isValid(host) ? host : "localhost")
                + " " + identifier + (pid != null && pid.matches("[0-9]{1,10}") ? "[" + pid + "]" : "") + ": " + message;
        var exe = entry.field("_EXE");
        var uid = entry.field("_UID");
        for (var c : candidates) {
            if (exe != null && uid != null && uid.matches("[0-9]{1,10}") && c.trusts(exe, Long.parseLong(uid))) {
                return new Verdict(line, null);
            }
        }
        return new Verdict(line, "journal entry " + identifier + " sent by _UID=" + printable(uid) + " _EXE=" + printable(exe)
                + " _COMM=" + printable(entry.field("_COMM")) + ", not by a program " + candidates.stream().map(Trusted::definition).distinct().toList()
                + " trusts");
    }

    private static String printable(String value) {
        return value == null ? "(none)" : Printable.word(value.length() > 80 ? value.substring(0, 80) : value);
    }
}
