package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayLookup;

/** readlog as a long-running daemon: stdin, FIFOs, rotation, restarts, kill -9, SIGHUP, hostile bytes. */
class DaemonTest {

    @TempDir
    Path dir;
    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (var p : processes) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process start(Map<String, String> env, String... args) throws IOException {
        var p = Launchers.command("readlog", env, args).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("readlog.out").toFile())).start();
        processes.add(p);
        return p;
    }

    private String output() throws IOException {
        var f = dir.resolve("readlog.out");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private boolean published(Path db, String ip) {
        try {
            return RelayLookup.find(db, ip).isPresent();
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void standardInputIsFollowedAndItsEndStopsReadlog() throws Exception {
        var db = dir.resolve("relay.db");
        var p = Launchers.command("readlog", Map.of(), "--log", "-", "--db", db.toString()).start();
        processes.add(p);
        var err = new Launchers.StreamText(p.getErrorStream());
        try (var stdin = p.getOutputStream()) {
            stdin.write(Dovecot.login(Instant.now(), "pop3", "192.0.2.51", "journal").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            Launchers.await(Duration.ofSeconds(30), "the stdin login to be published", () -> published(db, "192.0.2.51"));
        }
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), err.text());
        assertTrue(err.text().contains("readlog: standard input ended; stopping"), err.text());
    }

    @Test
    void fifoIsCreatedAndItsWriterNeverBlocksEvenWhenReadlogFallsBehind() throws Exception {
        var fifo = dir.resolve("syslog.fifo");
        var db = dir.resolve("relay.db");
        // Drain the queue only every 3 s, and keep just 50 lines: the writer outruns readlog by far.
        var p = start(Map.of(), "--fifo", fifo.toString(), "--db", db.toString(), "--poll-ms", "3000", "--fifo-queue", "50");
        Launchers.await(Duration.ofSeconds(30), "the FIFO to be created", () -> Files.exists(fifo));
        assertTrue(Files.readAttributes(fifo, java.nio.file.attribute.BasicFileAttributes.class).isOther(), "a FIFO, not a file");
        assertEquals("rw--w----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(fifo)),
                "syslogd writes, readlog's group may, nobody else");

        var lines = new StringBuilder();
        for (int i = 0; i < 200_000; i++) {
            lines.append("Nov 22 10:00:00 mail postfix/smtpd[1]: connect from unknown[192.0.2.1] noise line ").append(i).append('\n');
        }
        lines.append(Dovecot.login(Instant.now(), "imap", "192.0.2.52", "fifo-user"));
        var payload = Files.writeString(dir.resolve("payload"), lines);
        // A writer like syslogd: it would hang here if readlog let the pipe fill up.
        var writer = new ProcessBuilder("sh", "-c", "cat \"$0\" > \"$1\"", payload.toString(), fifo.toString()).start();
        assertTrue(writer.waitFor(20, TimeUnit.SECONDS), "the writer blocked on the FIFO");
        assertEquals(0, writer.exitValue());
        Launchers.await(Duration.ofSeconds(30), "the last line's login", () -> published(db, "192.0.2.52"));

        // The writer goes away and another comes: nothing to reopen, nothing lost.
        var second = new ProcessBuilder("sh", "-c", "printf '%s' \"$0\" > \"$1\"",
                Dovecot.login(Instant.now(), "pop3", "192.0.2.53", "again"), fifo.toString()).start();
        assertTrue(second.waitFor(20, TimeUnit.SECONDS));
        Launchers.await(Duration.ofSeconds(30), "the second writer's login", () -> published(db, "192.0.2.53"));

        Launchers.signal(p, "TERM");
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        var summary = output().lines().filter(l -> l.startsWith("readlog: summary: ")).reduce((a, b) -> b).orElseThrow();
        var dropped = Long.parseLong(summary.replaceAll(".* (\\d+) lines dropped.*", "$1"));
        assertTrue(dropped > 0, "lines were dropped, not waited for: " + summary);
    }

    @Test
    void rotationLosesNoLineAndARestartResumesWhereItStopped() throws Exception {
        var log = dir.resolve("mail.log");
        var db = dir.resolve("relay.db");
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.61", "before"));
        var p = start(Map.of(), "--log", log.toString(), "--db", db.toString());
        Launchers.await(Duration.ofSeconds(30), "the first login", () -> published(db, "192.0.2.61"));
        // Rename rotation: the last line goes to the old file after the rename, then a new file starts.
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.62", "late"), StandardOpenOption.APPEND);
        Files.move(log, dir.resolve("mail.log.1"));
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.63", "new-file"));
        Launchers.await(Duration.ofSeconds(30), "both sides of the rotation",
                () -> published(db, "192.0.2.62") && published(db, "192.0.2.63"));
        Launchers.signal(p, "TERM");
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));

        // Written while readlog is down: recorded at the restart, and the old lines are not read again.
        Files.writeString(log, Dovecot.login(Instant.now(), "imap", "192.0.2.64", "while-down"), StandardOpenOption.APPEND);
        var again = Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", db.toString());
        assertEquals(0, again.exit(), again.err());
        assertTrue(published(db, "192.0.2.64"));
        assertTrue(again.err().contains("summary: 1 lines read, 1 logins recorded"), again.err());
        for (var ip : List.of("192.0.2.61", "192.0.2.62", "192.0.2.63")) {
            assertTrue(published(db, ip), ip + " kept across the restart");
        }
    }

    @Test
    void killNineAtAnyMomentLeavesAReadableDatabaseAndARecoverableState() throws Exception {
        var log = dir.resolve("mail.log");
        var db = dir.resolve("relay.db");
        Files.createFile(log);
        var random = new Random(99);
        int written = 0;
        for (int round = 0; round < 8; round++) {
            var p = start(Map.of(), "--log", log.toString(), "--db", db.toString());
            // From the JVM's start on: early kills land while the state is being created or opened.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50 + random.nextInt(1200));
            while (System.nanoTime() < until) {
                Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "10." + (written >> 16 & 255) + "." + (written >> 8 & 255)
                        + "." + (written & 255), "u" + written), StandardOpenOption.APPEND); // a user each: one user from thousands of networks is flagged
                written++;
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // a busy POP server, not a flood
            }
            Launchers.signal(p, "KILL");
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            if (Files.exists(db)) {
                RelayDatabase.open(db).entries(); // MapDB's reader opens whatever kill -9 left
                RelayLookup.find(db, "10.0.0.1"); // and so does relaylock's
            }
        }
        var last = Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", db.toString());
        assertEquals(0, last.exit(), last.err());
        var entries = RelayDatabase.open(db).entries();
        assertEquals(written, entries.size(), "every login appended across " + 8 + " kill -9s is recorded");
    }

    @Test
    void sighupRereadsTheConfigurationAndReopensTheLogs() throws Exception {
        var first = Files.createFile(dir.resolve("first.log"));
        var second = Files.createFile(dir.resolve("second.log"));
        var db = dir.resolve("relay.db");
        var conf = dir.resolve("poplock.conf");
        Files.writeString(conf, "log = " + first + "\ndb = " + db + "\ntimeout = 15m\n");
        // SIGHUP as a supervisor leaves it, whatever this build inherited (nohup ignores it, and so would readlog).
        var pb = Launchers.command("readlog", Map.of("POPLOCK_CONFIG", conf.toString())).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("readlog.out").toFile()));
        pb.command().addAll(0, List.of("perl", "-e", "$SIG{HUP} = 'DEFAULT'; exec @ARGV or die"));
        var p = pb.start();
        processes.add(p);
        Launchers.await(Duration.ofSeconds(30), "the first publish", () -> Files.exists(db));

        Files.writeString(conf, "log = " + first + "\nlog = " + second + "\ndb = " + db + "\ntimeout = 2h\n");
        Launchers.signal(p, "HUP");
        try {
            Launchers.await(Duration.ofSeconds(30), "the reload", () -> {
                try {
                    return output().contains("readlog: reloaded " + conf);
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; readlog " + (p.isAlive() ? "running" : "exited " + p.exitValue()) + ", said:\n" + output(), e);
        }
        Files.writeString(second, Dovecot.login(Instant.now(), "pop3", "192.0.2.71", "hup"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(30), "the login in the newly configured log", () -> published(db, "192.0.2.71"));
        var e = RelayLookup.find(db, "192.0.2.71").orElseThrow();
        assertEquals(Duration.ofHours(2), Duration.between(e.login(), e.expiry()), "the new timeout");
        assertTrue(p.isAlive());
    }

    @Test
    void hostileBytesAndABadPathCostOneLineEachAndReadlogGoesOn() throws Exception {
        var log = dir.resolve("mail.log");
        var db = dir.resolve("relay.db");
        var hostile = new java.io.ByteArrayOutputStream();
        hostile.write("x".repeat(3 * 1024 * 1024).getBytes(StandardCharsets.US_ASCII));
        hostile.write('\n');
        hostile.write("Nov 22 10:00:00 pop3-login: Info: Login: user=<\0nul>, method=PLAIN, rip=192.0.2.80\0, lip=1.1.1.1\n".getBytes(StandardCharsets.UTF_8));
        hostile.write(new byte[] {(byte) 0xff, (byte) 0xc3, '(', '\n'});
        hostile.write(Dovecot.login(Instant.now(), "pop3", "192.0.2.81", "after").getBytes(StandardCharsets.UTF_8));
        Files.write(log, hostile.toByteArray());
        var directory = Files.createDirectory(dir.resolve("a-directory"));
        var p = start(Map.of(), "--log", log.toString(), "--log", directory.toString(), "--db", db.toString());
        Launchers.await(Duration.ofSeconds(30), "the login after the hostile lines", () -> published(db, "192.0.2.81"));
        assertTrue(!published(db, "192.0.2.80"), "an address with a NUL in it is no address");
        var out = output();
        assertEquals(1, out.lines().filter(l -> l.contains("longer than")).count(), out);
        assertEquals(1, out.lines().filter(l -> l.contains("a-directory: is a directory")).count(), out);
        assertTrue(p.isAlive());
    }

    @Test
    void anUnreadableLogCostsOneLineAndTheOtherLogsAreStillFollowed() throws Exception {
        var setpriv = Path.of("/usr/bin/setpriv");
        Launchers.assumeOrInCiRequire(Files.isExecutable(setpriv) && Launchers.root(),
                "root reads any file: the check needs root to start an unprivileged readlog");
        var open = Files.createDirectories(dir.resolve("run"));
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        var secret = Files.writeString(open.resolve("secret.log"), Dovecot.login(Instant.now(), "pop3", "192.0.2.97", "hidden"));
        Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
        var readable = Files.writeString(open.resolve("mail.log"), Dovecot.login(Instant.now(), "pop3", "192.0.2.98", "seen"));
        Files.setPosixFilePermissions(readable, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        var db = open.resolve("relay.db");
        var pb = new ProcessBuilder(setpriv.toString(), "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                Launchers.BIN.resolve("readlog").toString(), "--log", secret.toString(), "--log", readable.toString(), "--db", db.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile());
        Launchers.hostFree(pb.environment()).put("POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + open);
        var p = pb.start();
        processes.add(p);
        Launchers.await(Duration.ofSeconds(30), "the readable log's login", () -> published(db, "192.0.2.98"));
        assertTrue(!published(db, "192.0.2.97"));
        var out = output();
        assertEquals(1, out.lines().filter(l -> l.contains("cannot open " + secret + ": Permission denied")).count(), "once within a minute: " + out);
        assertTrue(p.isAlive());
    }

    @Test
    void aFullDiskCostsOneLineAndLosesNoGrant() throws Exception {
        var probe = new ProcessBuilder("unshare", "-Urm", "true").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        Launchers.assumeOrInCiRequire(probe.waitFor() == 0, "needs unshare -Urm (user namespaces) for a small tmpfs");
        var small = Files.createDirectory(dir.resolve("small"));
        var saved = Files.createDirectory(dir.resolve("saved"));
        var log = Files.createFile(dir.resolve("mail.log"));
        var pidFile = dir.resolve("readlog.pid");
        // readlog in a mount namespace of its own with its database and state on a 1 MiB tmpfs; when
        // it has stopped, the shell copies the state out before the tmpfs goes with the namespace.
        var script = "mount -t tmpfs -o size=1m tmpfs \"$1\" || exit 111; small=$1 saved=$2 pid=$3; shift 3; "
                + "\"$@\" & echo $! > \"$pid\"; wait $!; cp \"$small\"/state* \"$saved\"/";
        var pb = new ProcessBuilder("unshare", "-Urm", "sh", "-c", script, "sh", small.toString(), saved.toString(), pidFile.toString(),
                Launchers.BIN.resolve("readlog").toString(), "--log", log.toString(),
                "--db", small.resolve("relay.db").toString(), "--state", small.resolve("state").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile());
        Launchers.hostFree(pb.environment());
        var p = pb.start();
        processes.add(p);
        Launchers.await(Duration.ofSeconds(30), "readlog's pid", () -> Files.exists(pidFile) && pidFileComplete(pidFile));
        var readlog = Files.readString(pidFile).trim();
        try {
            fullDisk(small, saved, log, readlog, p);
        } finally {
            // readlog is the shell's child, not ours: a failed assertion must not leave it running.
            ProcessHandle.of(Long.parseLong(readlog)).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private void fullDisk(Path small, Path saved, Path log, String readlog, Process p) throws Exception {
        // The tmpfs as readlog sees it.
        var inside = Path.of("/proc", readlog, "root").resolve(small.toString().substring(1));
        var db = inside.resolve("relay.db");
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.61", "before"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(30), "the first login", () -> published(db, "192.0.2.61"));

        var filler = inside.resolve("filler");
        try (var out = Files.newOutputStream(filler)) {
            var chunk = new byte[4096];
            while (true) {
                out.write(chunk);
                out.flush();
            }
        } catch (IOException full) {
            assertTrue(full.getMessage().contains("No space left"), full.toString());
        }
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.62", "during"), StandardOpenOption.APPEND);
        // The state's files have room for a few more records in pages they hold already: more
        // logins until one of its writes needs a new page.
        var during = new ArrayList<String>();
        var polls = new int[1];
        Launchers.await(Duration.ofSeconds(30), "readlog to report the full disk, for the database and for its state", () -> {
            try {
                if (output().contains("cannot publish") && output().contains("cannot save state")) {
                    return true;
                }
                if (polls[0]++ % 20 == 0) {
                    var lines = new StringBuilder();
                    for (int i = 0; i < 20; i++) {
                        var ip = "10.62." + during.size() / 256 + "." + during.size() % 256;
                        during.add(ip);
                        lines.append(Dovecot.login(Instant.now(), "pop3", ip, "during"));
                    }
                    Files.writeString(log, lines, StandardOpenOption.APPEND);
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        });
        assertTrue(published(db, "192.0.2.61"), "relaylock keeps the last complete database");
        try (var files = Files.list(inside)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList(), "no half-written copy left");
        }
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.63", "still-full"), StandardOpenOption.APPEND);

        Files.delete(filler);
        Files.writeString(log, Dovecot.login(Instant.now(), "pop3", "192.0.2.64", "after"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(30), "every login published once there is space",
                () -> published(db, "192.0.2.62") && published(db, "192.0.2.63") && published(db, "192.0.2.64")
                        && published(db, during.get(during.size() - 1)));
        Launchers.await(Duration.ofSeconds(30), "the state saved again", () -> {
            try {
                return output().contains("state saved again");
            } catch (IOException e) {
                return false;
            }
        });
        var kill = new ProcessBuilder("kill", "-TERM", readlog).inheritIO().start();
        assertEquals(0, kill.waitFor());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "readlog stops on SIGTERM");
        var out = output();
        assertEquals(1, out.lines().filter(l -> l.contains("cannot publish")).count(), "one line for the full disk: " + out);
        assertTrue(out.lines().filter(l -> l.contains("cannot publish")).allMatch(l -> l.contains("No space left on device")), out);
        assertTrue(out.lines().noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Exception")), "no stack trace: " + out);

        // The state on disk, as the next start would find it: every grant, and the log read to its end.
        try (var state = org.poplock.readlog.state.RelayState.open(saved.resolve("state"))) {
            var ips = state.live(Instant.now()).stream().map(org.poplock.common.store.RelayEntry::ip).toList();
            var expected = new ArrayList<>(List.of("192.0.2.61", "192.0.2.62", "192.0.2.63", "192.0.2.64"));
            expected.addAll(during);
            assertEquals(expected.stream().sorted().toList(), ips.stream().sorted().toList());
            assertEquals(Files.size(log), state.positions(log.toString()).get(0).offset(), "position saved at the end of the log");
        }
    }

    private static boolean pidFileComplete(Path pidFile) {
        try {
            return Files.readString(pidFile).endsWith("\n");
        } catch (IOException e) {
            return false;
        }
    }
}
