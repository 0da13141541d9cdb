package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** poplock-pop3d-log, the step after checkpassword that makes qmail-pop3d logins visible to readlog. */
class PopStepTest {

    @TempDir
    Path dir;

    @Test
    void logsTheLoginThenBecomesTheRestAndReadlogRecognisesIt() throws Exception {
        var report = Launchers.envReport();
        var step = Launchers.run("poplock-pop3d-log", Map.of("TCPREMOTEIP", "192.0.2.15", "USER", "alice"),
                report.toString(), "Maildir");
        assertEquals(0, step.exit());
        assertTrue(step.out().contains("ARGS Maildir\n"), "became qmail-pop3d's stand-in with its arguments: " + step.out());
        assertEquals("poplock-pop3d-log: login ip=192.0.2.15 user=alice\n", step.err());

        // A user name with a newline cannot forge a second login line.
        var forged = Launchers.run("poplock-pop3d-log", Map.of("TCPREMOTEIP", "192.0.2.16",
                "USER", "bob\npoplock-pop3d-log: login ip=6.6.6.6 user=root"), "/bin/true");
        assertEquals(1, forged.err().lines().count(), forged.err());

        var log = Files.writeString(dir.resolve("current"), step.err() + forged.err());
        var seen = Launchers.run("readlog", Map.of(), "--dry-run", "--once", "--log", log.toString());
        // Without multilog's stamp, a line already in the log when readlog starts is of unknown age.
        var unknownAge = " (not recorded: the line has no time and was in the log before readlog read it: its age is unknown)\n";
        assertEquals("192.0.2.15 alice qmail-pop3d" + unknownAge + "192.0.2.16 \"bobpoplock-pop3d-log: login ip=6.6.6.6 user=root\" qmail-pop3d"
                + unknownAge, seen.out());
    }

    @Test
    void withoutAProgramItSaysHowToUseIt() throws Exception {
        var r = Launchers.run("poplock-pop3d-log", Map.of());
        assertEquals(111, r.exit());
        assertTrue(r.err().startsWith("usage: poplock-pop3d-log"), r.err());
    }
}
