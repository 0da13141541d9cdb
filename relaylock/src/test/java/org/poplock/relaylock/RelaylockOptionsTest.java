package org.poplock.relaylock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RelaylockOptionsTest {

    @Test
    void optionsThenProgramWithItsOwnOptions() {
        var o = RelaylockOptions.parse(new String[] {"--db", "/x/relay.db", "--max-login-age=5m", "--relayclient-value", "1",
            "/var/qmail/bin/qmail-smtpd", "--db", "arg"});
        assertEquals("/x/relay.db", o.db());
        assertEquals("5m", o.maxLoginAge());
        assertEquals("1", o.relayValue());
        assertNull(o.config());
        assertEquals(List.of(), o.problems());
        assertArrayEquals(new String[] {"/var/qmail/bin/qmail-smtpd", "--db", "arg"}, o.program(), "PROGRAM's own options are its own");
        assertArrayEquals(new String[] {"--db", "/x/relay.db", "--max-login-age=5m", "--relayclient-value", "1"}, o.options());
    }

    @Test
    void doubleDashEndsTheOptions() {
        var o = RelaylockOptions.parse(new String[] {"--config", "c", "--", "--weird-program"});
        assertEquals("c", o.config());
        assertArrayEquals(new String[] {"--weird-program"}, o.program());
    }

    @Test
    void anUnknownOptionIsAProblemAndThePogramStillFollows() {
        var o = RelaylockOptions.parse(new String[] {"--bogus", "/bin/true", "x"});
        assertEquals(1, o.problems().size());
        assertTrue(o.problems().get(0).startsWith("unknown option \"--bogus\""), o.problems().toString());
        assertArrayEquals(new String[] {"/bin/true", "x"}, o.program());
    }

    @Test
    void timeoutIsReadlogsAndSaysWhatRelaylockHasInstead() {
        var o = RelaylockOptions.parse(new String[] {"--timeout", "15m", "/bin/true"});
        assertArrayEquals(new String[] {"/bin/true"}, o.program());
        assertEquals(1, o.problems().size());
        assertTrue(o.problems().get(0).contains("--max-login-age"), o.problems().toString());
    }

    @Test
    void anUnknownOptionsValueIsNotTakenForTheProgram() {
        var o = RelaylockOptions.parse(new String[] {"--tiemout", "5m", "/bin/true"});
        assertArrayEquals(new String[] {"/bin/true"}, o.program());
        var known = RelaylockOptions.parse(new String[] {"--tiemout", "/bin/true", "/bin/false"});
        assertArrayEquals(new String[] {"/bin/true", "/bin/false"}, known.program(), "a program right after it is PROGRAM");
    }

    @Test
    void aMissingValueLeavesNoProgram() {
        var o = RelaylockOptions.parse(new String[] {"--db"});
        assertEquals(List.of("option --db needs a value"), o.problems());
        assertEquals(0, o.program().length);
    }

    @Test
    void theNamesAreTheOnesHelpShows() {
        var help = new picocli.CommandLine(new RelaylockCommand()).getCommandSpec().options().stream()
                .map(opt -> opt.longestName()).filter(n -> !n.equals("--help") && !n.equals("--version")).sorted().toList();
        assertEquals(RelaylockOptions.NAMES.stream().sorted().toList(), help);
    }
}
