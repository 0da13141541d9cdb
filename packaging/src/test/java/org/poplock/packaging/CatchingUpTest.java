package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A login line without a time (Courier under multilog without t) is granted only when read as it
 * is written, never when readlog catches up on what a log already held when it started: that
 * line may be years old, and its address someone else's today.
 */
class CatchingUpTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final Processes processes = new Processes();

    private Process readlog;

    private static String courier(String ip, String user) {
        return "INFO: LOGIN, user=" + user + ", ip=[" + ip + "], port=[4000]\n";
    }

    @Test
    void dryRunSaysWhyEachLoginIsNotRecorded() throws Exception {
        var log = Files.writeString(dir.resolve("mail.log"), courier("198.51.100.200", "olduser")
                + "2020-01-01T00:00:00+00:00 mail dovecot: pop3-login: Login: user=<old>, method=PLAIN, rip=198.51.100.9, lip=192.0.2.1\n"
                + Dovecot.login(Instant.now(), "pop3", "198.51.100.10", "fresh"));
        var r = Launchers.run("readlog", Map.of(), "--dry-run", "--once", "--log", log.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("198.51.100.200 olduser courier (not recorded: the line has no time and was in the log before readlog read it: "
                + "its age is unknown)\n"
                + "198.51.100.9 old dovecot (not recorded: too old: logged in at 2020-01-01T00:00:00Z, its grant ended at 2020-01-01T00:15:00Z)\n"
                + "198.51.100.10 fresh dovecot\n", r.out());
    }

    @Test
    void aLineWithoutTimeGrantsOnlyWhenReadAsItIsWritten() throws Exception {
        var log = Files.writeString(dir.resolve("mail.log"), courier("198.51.100.200", "olduser"));
        var db = dir.resolve("relay.db");
        int metrics = TcpserverIT.freePort();
        readlog = processes.start(Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString(), "--metrics", "inet:127.0.0.1:" + metrics)
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()));
        Launchers.await(Duration.ofSeconds(30), "the line already there to be read", () -> !readlog.isAlive()
                || Launchers.metrics(metrics) != null && Launchers.metric(metrics, "poplock_logins_stale_total") == 1);
        Files.writeString(log, courier("198.51.100.201", "newuser"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "the new login", () -> Launchers.publishedIps(db).contains("198.51.100.201"));
        assertFalse(Launchers.publishedIps(db).contains("198.51.100.200"), "the line that was there at the start");

        // Restarted: it resumes at its saved position, and the live line read before stays granted.
        Launchers.signal(readlog, "TERM");
        assertTrue(readlog.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, readlog.exitValue(), Files.readString(dir.resolve("readlog.out")));
        Files.delete(db);
        readlog = processes.start(Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog2.out").toFile()));
        Launchers.await(Duration.ofSeconds(30), "the publish after the restart", () -> Files.exists(db) || !readlog.isAlive());
        Launchers.await(Duration.ofSeconds(10), "the state's grant", () -> Launchers.publishedIps(db).contains("198.51.100.201"));
        assertFalse(Launchers.publishedIps(db).contains("198.51.100.200"));
    }
}
