package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * readlog --journal through the real launcher, reading real journal files (systemd-journal-remote
 * writes them, journalctl --directory follows them): only the server's own entries grant, a
 * restart neither misses nor repeats an entry, journalctl dying is survived, and so are the
 * journal's files rotated and vacuumed under it, running or stopped.
 */
class JournalIT {

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (var p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
        }
    }

    private Path journal() throws Exception {
        return Files.createDirectories(dir.resolve("journal"));
    }

    private Path db() {
        return dir.resolve("relay.db");
    }

    /** readlog --journal on the test's journal directory, with /metrics on {@code port}; its stderr collected. */
    private Launchers.StreamText readlog(int port, String... more) throws Exception {
        var args = new ArrayList<>(List.of("--journal", "--journal-directory", journal().toString(), "--db", db().toString(), "--metrics",
                "inet:127.0.0.1:" + port));
        args.addAll(List.of(more));
        var p = Launchers.command("readlog", Map.of(), args.toArray(String[]::new)).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        var err = new Launchers.StreamText(p.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog to serve /metrics", () -> lines(port) >= 0);
        return err;
    }

    private Process last() {
        return started.get(started.size() - 1);
    }

    /** The journal entries readlog has read since it started (poplock_lines_read_total of the journal); -1 while it does not answer. */
    private long lines(int port) {
        var text = Launchers.metrics(port);
        return text == null ? -1 : Launchers.sample(text, "poplock_lines_read_total{source=\"journal\"}", 0);
    }

    private String relayclient(String ip) throws Exception {
        var r = Launchers.run("relaylock", Map.of("TCPREMOTEIP", ip), "--db", db().toString(), Launchers.envReport().toString());
        return r.out().lines().filter(l -> l.startsWith("RELAYCLIENT=[")).findFirst().map(l -> l.substring(13, l.length() - 1)).orElse(null);
    }

    private void awaitGranted(String... ips) throws InterruptedException {
        Launchers.await(Duration.ofSeconds(30), "grants for " + List.of(ips), () -> Launchers.publishedIps(db()).containsAll(List.of(ips)));
    }

    private void stopCleanly(Process p) throws Exception {
        Launchers.signal(p, "TERM");
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "readlog did not stop on SIGTERM");
        assertEquals(0, p.exitValue());
    }

    @Test
    void onlyTheServersOwnEntriesGrantAndAForgedOneIsNamed() throws Exception {
        var file = journal().resolve("remote.journal");
        var now = Instant.now();
        // Matched by identifier, so that the forged entries are read at all (the default, the
        // units, would not even read an entry from a user's login session).
        JournalFiles.write(file, JournalFiles.forged(now, "192.0.2.66", "mallory"), JournalFiles.bare(now, "192.0.2.67", "eve"),
                JournalFiles.dovecot(now.minusSeconds(300), "192.0.2.1", "alice"));
        int port = RedisServer.freePort();
        var err = readlog(port, "--journal-match", "SYSLOG_IDENTIFIER=dovecot");
        awaitGranted("192.0.2.1");
        assertEquals(List.of("192.0.2.1"), Launchers.publishedIps(db()), "only Dovecot's own entry grants");
        assertEquals("", relayclient("192.0.2.1"));
        assertNull(relayclient("192.0.2.66"));
        // The entry's own time is the login's: five minutes ago, so ten minutes left of the fifteen.
        var left = Duration.between(Instant.now(), Launchers.expiryOf(db(), "192.0.2.1"));
        assertTrue(left.compareTo(Duration.ofMinutes(10).plusSeconds(5)) < 0 && left.compareTo(Duration.ofMinutes(9)) > 0, "left " + left);
        assertTrue(err.soFar().contains("not recorded: 192.0.2.66 mallory: journal entry dovecot sent by _UID=1000 _EXE=/usr/bin/logger"),
                err.soFar());
        var metrics = Launchers.metrics(port);
        assertTrue(metrics.contains("poplock_logins_untrusted_total 2\n"), metrics);

        var dry = Launchers.run("readlog", Map.of(), "--dry-run", "--once", "--journal", "--journal-directory", journal().toString(),
                "--journal-match", "SYSLOG_IDENTIFIER=dovecot");
        assertEquals(0, dry.exit(), dry.err());
        assertEquals(List.of("192.0.2.66 mallory dovecot (not recorded: journal entry dovecot sent by _UID=1000 _EXE=/usr/bin/logger"
                + " _COMM=logger, not by a program [dovecot] trusts)",
                "192.0.2.67 eve dovecot (not recorded: journal entry dovecot sent by _UID=(none) _EXE=(none) _COMM=(none), not by a program"
                        + " [dovecot] trusts)",
                "192.0.2.1 alice dovecot"), dry.out().lines().toList());

        // By default only the servers' units are read: the user's entries are not even looked at.
        var byUnit = Launchers.run("readlog", Map.of(), "--dry-run", "--once", "--journal", "--journal-directory", journal().toString());
        assertEquals(List.of("192.0.2.1 alice dovecot"), byUnit.out().lines().toList(), byUnit.err());
    }

    @Test
    void aRestartNeitherMissesNorRepeatsAnEntry() throws Exception {
        var file = journal().resolve("remote.journal");
        JournalFiles.write(file, JournalFiles.dovecot(Instant.now(), "192.0.2.1", "a"));
        int port = RedisServer.freePort();
        readlog(port);
        awaitGranted("192.0.2.1");
        assertEquals(1, lines(port));
        stopCleanly(last());

        JournalFiles.write(file, JournalFiles.dovecot(Instant.now(), "192.0.2.2", "b"), JournalFiles.dovecot(Instant.now(), "192.0.2.3", "c"));
        readlog(port);
        awaitGranted("192.0.2.2", "192.0.2.3");
        assertEquals(2, lines(port), "after SIGTERM: exactly the two entries written while it was stopped");

        // kill -9 once the state on disk holds the cursor of the last entry read: nothing is lost with it.
        var cursor = cursorOfLast();
        var state = dir.resolve("readlog.state");
        Launchers.await(Duration.ofSeconds(20), "the state to hold the last cursor", () -> contains(state, cursor));
        last().descendants().forEach(ProcessHandle::destroyForcibly);
        last().destroyForcibly();
        last().waitFor();
        JournalFiles.write(file, JournalFiles.dovecot(Instant.now(), "192.0.2.4", "d"));
        readlog(port);
        awaitGranted("192.0.2.4");
        assertEquals(1, lines(port), "after kill -9: the one entry written while it was down, and none again");
        assertEquals(List.of("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"), Launchers.publishedIps(db()));
    }

    @Test
    void journalctlKilledIsStartedAgainAndRotatedAndVacuumedFilesAreSurvived() throws Exception {
        var first = journal().resolve("system.journal");
        JournalFiles.write(first, JournalFiles.dovecot(Instant.now(), "192.0.2.1", "a"));
        int port = RedisServer.freePort();
        var err = readlog(port);
        awaitGranted("192.0.2.1");

        var journalctl = last().descendants().filter(h -> h.info().command().orElse("").endsWith("journalctl")).findFirst().orElseThrow();
        journalctl.destroyForcibly();
        Launchers.await(Duration.ofSeconds(20), "the line about journalctl", () -> err.soFar().contains("journal: journalctl exited with status"));
        assertTrue(err.soFar().lines().anyMatch(l -> l.matches("readlog: journal: journalctl exited with status \\d+; starting it again in \\d+ ms")),
                err.soFar());
        JournalFiles.write(first, JournalFiles.dovecot(Instant.now(), "192.0.2.2", "b"));
        awaitGranted("192.0.2.2");

        // Rotated: the file archived under another name, a new one started; then the old one vacuumed.
        var archived = journal().resolve("system@0001-0001.journal");
        Files.move(first, archived);
        var second = journal().resolve("system.journal");
        JournalFiles.write(second, JournalFiles.dovecot(Instant.now(), "192.0.2.3", "c"));
        awaitGranted("192.0.2.3");
        Files.delete(archived);
        JournalFiles.write(second, JournalFiles.dovecot(Instant.now(), "192.0.2.4", "d"));
        awaitGranted("192.0.2.4");
        assertEquals(4, lines(port), "each entry once");
        stopCleanly(last());

        // Stopped, and the file with the saved cursor rotated and vacuumed away: the next start
        // finds its place by the cursor's time, and reads only what came after.
        var third = journal().resolve("system@0002-0002.journal");
        JournalFiles.write(third, JournalFiles.dovecot(Instant.now(), "192.0.2.5", "e"));
        Files.delete(second);
        readlog(port);
        awaitGranted("192.0.2.5");
        assertEquals(1, lines(port), "only the entry after the saved cursor");
        assertFalse(Launchers.publishedIps(db()).contains("192.0.2.6"));
    }

    /** The cursor of the journal's last entry, as journalctl gives it. */
    private String cursorOfLast() throws Exception {
        var p = new ProcessBuilder("journalctl", "--directory=" + journal(), "-n", "1", "-o", "export", "--no-pager").start();
        var out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().filter(l -> l.startsWith("__CURSOR=")).findFirst().orElseThrow().substring(9);
    }

    private static boolean contains(Path file, String text) {
        try {
            return new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
