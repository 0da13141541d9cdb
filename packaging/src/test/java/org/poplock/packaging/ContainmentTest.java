package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
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
 * No input ends readlog: a line (a journal entry) whose handling fails is dropped, counted in
 * /metrics and said once, readlog reads on past it and grants the next login, and a restart does
 * not meet it again. Through the real launcher, the input appended as an attacker would.
 */
class ContainmentTest {

    /** A multilog line whose TAI64N label is out of every time's range: any local user can get one into a log. */
    private static final String OUT_OF_RANGE = "@000000000000000000000000 x";

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

    private Process readlog(Path out, int metrics, String... args) throws Exception {
        var all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--db", dir.resolve("relay.db").toString(), "--timeout", "15m", "--metrics", "inet:127.0.0.1:" + metrics));
        var p = Launchers.command("readlog", Map.of(), all.toArray(String[]::new)).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        started.add(p);
        Launchers.await(Duration.ofSeconds(30), "readlog to serve /metrics", () -> !p.isAlive() || Launchers.metrics(metrics) != null && Launchers.metric(metrics, "poplock_up") == 1);
        assertTrue(p.isAlive(), read(out));
        return p;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static long count(Path out, String containing) {
        return read(out).lines().filter(l -> l.contains(containing)).count();
    }

    private void awaitGranted(String ip) throws InterruptedException {
        Launchers.await(Duration.ofSeconds(30), ip + " granted", () -> Launchers.publishedIps(dir.resolve("relay.db")).contains(ip));
    }

    private static void stopCleanly(Process p, Path out) throws Exception {
        Launchers.signal(p, "TERM");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "readlog did not stop");
        assertEquals(0, p.exitValue(), read(out));
    }

    @Test
    void aLogLineThatCannotBeHandledIsDroppedCountedSaidOnceAndNotMetAgain() throws Exception {
        var log = Files.writeString(dir.resolve("mail.log"), "");
        int port = RedisServer.freePort();
        var out = dir.resolve("readlog.out");
        var readlog = readlog(out, port, "--log", log.toString());
        Files.writeString(log, OUT_OF_RANGE + "\n" + OUT_OF_RANGE + "\n", StandardOpenOption.APPEND);
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "203.0.113.20", "alice"), StandardOpenOption.APPEND);
        awaitGranted("203.0.113.20");
        assertTrue(readlog.isAlive(), read(out));
        var failed = "poplock_lines_failed_total{source=\"" + log + "\"}";
        Launchers.await(Duration.ofSeconds(10), "both lines counted", () -> Launchers.metric(port, failed) == 2);
        assertEquals(1, count(out, "dropped line \"" + OUT_OF_RANGE + "\""), read(out));
        assertTrue(read(out).contains("readlog: " + log + ": dropped line \"" + OUT_OF_RANGE
                + "\": IllegalArgumentException \"its TAI64N label @0000000000000000 is no time in the years 0000 to 9999\""), read(out));
        assertFalse(read(out).contains("\tat ") || read(out).contains("Exception in thread"), "no stack trace: " + read(out));
        stopCleanly(readlog, out);

        // Restarted: it resumes past those lines and does not meet them again.
        var again = dir.resolve("readlog2.out");
        readlog = readlog(again, port, "--log", log.toString());
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "203.0.113.21", "bob"), StandardOpenOption.APPEND);
        awaitGranted("203.0.113.21");
        assertEquals(Launchers.ABSENT, Launchers.metric(port, failed), "no line failed after the restart");
        stopCleanly(readlog, again);
        assertEquals(0, count(again, "dropped line"), read(again));
    }

    @Test
    void aJournalEntryWithATimeOutOfRangeIsDroppedAndTheJournalReadOn() throws Exception {
        // journalctl as the test's script: what it prints is what a journal of another host's upload could give.
        var now = Instant.now();
        var export = dir.resolve("export");
        Files.writeString(export, entry("c1", "9999999999999999999", "192.0.2.80", "mallory") + entry("c2", micros(now), "192.0.2.81", "alice"));
        var journalctl = dir.resolve("journalctl");
        Files.writeString(journalctl, "#!/bin/sh\ncat " + export + "\nexec sleep 600\n");
        Files.setPosixFilePermissions(journalctl, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = RedisServer.freePort();
        var out = dir.resolve("readlog.out");
        var readlog = readlog(out, port, "--journal", "--journalctl", journalctl.toString(), "--journal-match", "SYSLOG_IDENTIFIER=dovecot");
        awaitGranted("192.0.2.81");
        assertTrue(readlog.isAlive(), read(out));
        Launchers.await(Duration.ofSeconds(10), "the entry counted", () -> Launchers.metric(port, "poplock_lines_failed_total{source=\"journal\"}") == 1);
        assertEquals(1, count(out, "readlog: journal: dropped the entry at cursor \"c1\": IllegalArgumentException"), read(out));
        assertEquals(List.of("192.0.2.81"), Launchers.publishedIps(dir.resolve("relay.db")));
        assertEquals(0, count(out, "read journal failed"), read(out));
        stopCleanly(readlog, out);
    }

    private static String micros(Instant t) {
        return Long.toString(t.getEpochSecond() * 1_000_000 + t.getNano() / 1000);
    }

    /** One entry of journalctl -o export: Dovecot's own login line, trusted as journald would have set its fields. */
    private static String entry(String cursor, String realtime, String ip, String user) {
        return "__CURSOR=" + cursor + "\n__REALTIME_TIMESTAMP=" + realtime + "\n_HOSTNAME=pop1\nSYSLOG_IDENTIFIER=dovecot\n_PID=812\n_UID=0\n"
                + "_EXE=/usr/lib/dovecot/log\n_SYSTEMD_UNIT=dovecot.service\nMESSAGE=pop3-login: Login: user=<" + user + ">, method=PLAIN, rip="
                + ip + ", lip=192.0.2.1, mpid=4711, TLS, session=<AbCd>\n\n";
    }
}
