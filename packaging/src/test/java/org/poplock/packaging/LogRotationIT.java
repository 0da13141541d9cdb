package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * readlog behind a real rsyslogd (private config and socket) whose file a real logrotate (private
 * state file) rotates five times while logins arrive at 200 a second. Every login that reached a
 * file, the rotated ones included, must be recorded; what logrotate's copytruncate itself drops
 * between its copy and its truncation never reached a file and is counted apart.
 */
class LogRotationIT {

    private static final int LOGINS = 2400;
    private static final int PER_SECOND = 200;
    private static final int ROTATIONS = 5;
    private static final Pattern RIP = Pattern.compile("rip=(10\\.\\d+\\.\\d+\\.\\d+), ");

    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (var p : processes) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void createWithAPostrotateThatHupsAtOnce() throws Exception {
        rotateUnderLoad("create", "", 0);
    }

    @Test
    void createWithAPostrotateThatHupsTwoSecondsLate() throws Exception {
        rotateUnderLoad("create", "sleep 2; ", 0);
    }

    @Test
    void copytruncate() throws Exception {
        rotateUnderLoad("copytruncate", "", 0);
    }

    @Test
    void dateextWithDelaycompress() throws Exception {
        rotateUnderLoad("create\n  dateext\n  dateformat -%Y%m%d-%s\n  compress\n  delaycompress", "sleep 0.3; ", 0);
    }

    @Test
    void aReadlogStoppedBeforeARotationAndStartedAfterItLosesNothing() throws Exception {
        rotateUnderLoad("create", "sleep 0.3; ", 2);
    }

    /**
     * Logins at 200/s through logger and rsyslogd, five forced rotations spread over them; with
     * {@code restartAt} > 0, readlog is stopped before that rotation and started after it.
     */
    private void rotateUnderLoad(String mode, String beforeHup, int restartAt) throws Exception {
        var log = dir.resolve("mail.log");
        var socket = dir.resolve("log.sock");
        var pidFile = dir.resolve("rsyslogd.pid");
        var conf = Files.writeString(dir.resolve("rsyslog.conf"), String.join("\n",
                "global(workDirectory=\"" + dir + "\")",
                "module(load=\"imuxsock\" SysSock.Use=\"off\")",
                "input(type=\"imuxsock\" Socket=\"" + socket + "\" RateLimit.Interval=\"0\")",
                "*.* action(type=\"omfile\" file=\"" + log + "\" template=\"RSYSLOG_TraditionalFileFormat\")", ""));
        var rsyslog = new ProcessBuilder("rsyslogd", "-n", "-f", conf.toString(), "-i", pidFile.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("rsyslogd.out").toFile()).start();
        processes.add(rsyslog);
        Launchers.await(Duration.ofSeconds(20), "rsyslogd's socket", () -> Files.exists(socket) && Files.exists(pidFile));
        var rotateConf = Files.writeString(dir.resolve("logrotate.conf"), log + " {\n  rotate 20\n  missingok\n  " + mode
                + "\n  postrotate\n    " + beforeHup + "kill -HUP $(cat " + pidFile + ")\n  endscript\n}\n");

        var db = dir.resolve("relay.db");
        var readlog = startReadlog(log, db);
        // Running before the first login: a readlog started after a rotation, with no state, cannot know the file before it.
        Launchers.await(Duration.ofSeconds(60), "readlog's first publish", () -> Files.exists(db));
        var logger = new ProcessBuilder("logger", "-u", socket.toString(), "-t", "dovecot")
                .redirectErrorStream(true).redirectOutput(dir.resolve("logger.out").toFile()).start();
        processes.add(logger);
        var sent = new TreeSet<String>();
        try (var toLogger = new OutputStreamWriter(logger.getOutputStream(), StandardCharsets.UTF_8)) {
            long start = System.nanoTime();
            int rotations = 0;
            int rotateWhileStoppedAt = -1;
            for (int i = 0; i < LOGINS; i++) {
                var ip = "10.7." + (i / 250) + "." + (i % 250 + 1);
                toLogger.write("pop3-login: Login: user=<u" + i + ">, method=PLAIN, rip=" + ip + ", lip=192.0.2.1, mpid=" + (1000 + i)
                        + ", session=<s" + i + ">\n");
                toLogger.flush();
                sent.add(ip);
                // Rotations spread evenly over the logins, the first after a sixth of them.
                if (rotations < ROTATIONS && i == (rotations + 1) * LOGINS / (ROTATIONS + 1)) {
                    rotations++;
                    if (rotations == restartAt) {
                        // Stopped a second before the rotation: those lines are only in the file rotated away.
                        Launchers.signal(readlog, "TERM");
                        assertTrue(readlog.waitFor(30, TimeUnit.SECONDS), "readlog stops on SIGTERM");
                        assertEquals(0, readlog.exitValue());
                        rotateWhileStoppedAt = i + PER_SECOND;
                    } else {
                        logrotate(rotateConf);
                    }
                }
                if (i == rotateWhileStoppedAt) {
                    logrotate(rotateConf);
                    readlog = startReadlog(log, db);
                }
                long due = start + (i + 1) * 1_000_000_000L / PER_SECOND;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
        }
        assertTrue(logger.waitFor(30, TimeUnit.SECONDS), "logger ends with its input");

        // Everything rsyslogd took has reached a file once two looks a while apart agree.
        var inFiles = new HashSet<String>();
        Launchers.await(Duration.ofSeconds(30), "rsyslogd to write everything", () -> {
            var before = loginsInFiles();
            pause(500);
            var after = loginsInFiles();
            inFiles.clear();
            inFiles.addAll(after);
            return before.equals(after) && !after.isEmpty();
        });
        var published = new HashSet<String>();
        try {
            Launchers.await(Duration.ofSeconds(60), "readlog to record every login in the files", () -> {
                published.clear();
                published.addAll(Launchers.publishedIps(db));
                return published.containsAll(inFiles);
            });
        } finally {
            var missing = new TreeSet<>(inFiles);
            missing.removeAll(published);
            var neverInAFile = new TreeSet<>(sent);
            neverInAFile.removeAll(inFiles);
            System.out.println("rotation " + mode.replace('\n', ' ').replaceAll(" +", " ") + (beforeHup.isEmpty() ? "" : ", " + beforeHup)
                    + (restartAt > 0 ? ", readlog restarted across rotation " + restartAt : "") + ": " + sent.size() + " sent, "
                    + inFiles.size() + " in the files, " + (inFiles.size() - missing.size()) + " recorded, " + missing.size()
                    + " missed by readlog, " + neverInAFile.size() + " never written to a file (logrotate/rsyslog)");
            if (!missing.isEmpty()) {
                var byIndex = missing.stream().mapToInt(LogRotationIT::index).sorted().toArray();
                System.out.println("missed logins " + byIndex[0] + " to " + byIndex[byIndex.length - 1] + "; readlog said:\n" + read(dir.resolve("readlog.out")));
            }
        }
        assertEquals(Set.of(), Set.copyOf(published.stream().filter(ip -> !sent.contains(ip)).toList()), "nothing recorded that was not sent");
        if (!mode.startsWith("copytruncate")) {
            // Only copytruncate drops lines by design; every other mode must deliver them all.
            assertEquals(sent, new TreeSet<>(inFiles), "rsyslogd wrote every login to some file");
        }
    }

    /** The number of the login that came from {@code ip} (10.7.A.B is login 250A + B - 1). */
    private static int index(String ip) {
        var parts = ip.split("\\.");
        return Integer.parseInt(parts[2]) * 250 + Integer.parseInt(parts[3]) - 1;
    }

    private Process startReadlog(Path log, Path db) throws IOException {
        var p = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("readlog.out").toFile())).start();
        processes.add(p);
        return p;
    }

    private void logrotate(Path conf) throws IOException, InterruptedException {
        var p = new ProcessBuilder("logrotate", "-s", dir.resolve("logrotate.state").toString(), "-f", conf.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("logrotate.out").toFile())).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "logrotate finishes");
        assertEquals(0, p.exitValue(), () -> "logrotate: " + read(dir.resolve("logrotate.out")));
    }

    /** The login addresses in mail.log and every rotated file beside it, compressed ones included. */
    private Set<String> loginsInFiles() {
        var found = new HashSet<String>();
        try (var files = Files.list(dir)) {
            for (var f : files.filter(f -> f.getFileName().toString().startsWith("mail.log")).toList()) {
                try (InputStream raw = Files.newInputStream(f);
                        InputStream in = f.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
                    var m = RIP.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    while (m.find()) {
                        found.add(m.group(1));
                    }
                } catch (IOException e) {
                    // being rotated or compressed right now: the next look sees it
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return found;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
