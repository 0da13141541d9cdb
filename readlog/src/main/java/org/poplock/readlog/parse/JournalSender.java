package org.poplock.readlog.parse;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Who writes a server's lines into the systemd journal, in the fields journald adds itself from
 * the sending process ({@code _SYSTEMD_UNIT}, {@code _EXE}, {@code _UID}) and no sender can set:
 * {@code logger -t dovecot} run by a local user carries its own {@code _EXE} and {@code _UID}, not
 * Dovecot's. {@code units} are the journal matches readlog follows by default; {@code programs} are
 * shell patterns ({@code *} any characters) of the executable; {@code users} names or numbers.
 * No program means the definition trusts no journal entry.
 */
public record JournalSender(List<String> units, List<String> programs, List<String> users) {

    public static final JournalSender NONE = new JournalSender(List.of(), List.of(), List.of());

    public JournalSender {
        units = List.copyOf(units);
        programs = List.copyOf(programs);
        users = List.copyOf(users);
        for (var unit : units) {
            if (!unit.matches("[A-Za-z0-9@:._\\-]+")) {
                throw new IllegalArgumentException("journal-unit: not a unit name: " + unit);
            }
        }
        for (var program : programs) {
            if (!program.startsWith("/")) {
                throw new IllegalArgumentException("journal-exe: not an absolute path: " + program);
            }
        }
    }

    /** The programs as expressions an {@code _EXE} field must match whole (made once, by whoever checks many entries). */
    public List<Pattern> programPatterns() {
        return programs.stream().map(program -> Pattern.compile(Pattern.quote(program).replace("*", "\\E.*\\Q"))).toList();
    }
}
