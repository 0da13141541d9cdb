package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real journal files, written by systemd's own systemd-journal-remote from export-format input
 * (which, unlike journald's sockets, lets a test say what journald would have set: _UID, _EXE,
 * _SYSTEMD_UNIT), and read by the real journalctl --directory that readlog runs.
 */
final class JournalFiles {

    private static final String BOOT = "0123456789abcdef0123456789abcdef";
    private static final Instant BOOTED = Instant.parse("2026-01-01T00:00:00Z");

    private JournalFiles() {
    }

    static String remote() {
        for (var p : List.of("/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        throw new AssertionError("systemd-journal-remote is not installed (.ci/run installs systemd-journal-remote)");
    }

    /** Dovecot's log process (root, /usr/lib/dovecot/log, dovecot.service) logging a login through syslog(3). */
    static Map<String, String> dovecot(Instant time, String ip, String user) {
        var e = base(time, "pop3-login: Login: user=<" + user + ">, method=PLAIN, rip=" + ip + ", lip=192.0.2.1, mpid=4711, TLS, session=<AbCd>");
        e.put("_UID", "0");
        e.put("_COMM", "log");
        e.put("_EXE", "/usr/lib/dovecot/log");
        e.put("_SYSTEMD_UNIT", "dovecot.service");
        return e;
    }

    /** {@code logger -t dovecot 'pop3-login: Login: ...'} run by the local user 1000 in his login session. */
    static Map<String, String> forged(Instant time, String ip, String user) {
        var e = base(time, "pop3-login: Login: user=<" + user + ">, method=PLAIN, rip=" + ip + ", lip=192.0.2.1");
        e.put("_UID", "1000");
        e.put("_COMM", "logger");
        e.put("_EXE", "/usr/bin/logger");
        e.put("_SYSTEMD_UNIT", "session-3.scope");
        return e;
    }

    /** The same line with no trusted fields at all (as another tool might write a journal). */
    static Map<String, String> bare(Instant time, String ip, String user) {
        return base(time, "pop3-login: Login: user=<" + user + ">, method=PLAIN, rip=" + ip + ", lip=192.0.2.1");
    }

    private static Map<String, String> base(Instant time, String message) {
        var e = new LinkedHashMap<String, String>();
        e.put("__REALTIME_TIMESTAMP", Long.toString(time.getEpochSecond() * 1_000_000 + time.getNano() / 1000));
        // As on a real host, the time since boot grows with the entries: journalctl finds a cursor
        // whose file was vacuumed by boot id and this, or by the wall-clock time.
        e.put("__MONOTONIC_TIMESTAMP", Long.toString(Duration.between(BOOTED, time).toNanos() / 1000));
        e.put("_BOOT_ID", BOOT);
        e.put("_MACHINE_ID", BOOT);
        e.put("_HOSTNAME", "pop1");
        e.put("SYSLOG_IDENTIFIER", "dovecot");
        e.put("_PID", "812");
        e.put("MESSAGE", message);
        return e;
    }

    /** Appends the entries to the journal file {@code file} (created if missing), as systemd-journal-remote writes them. */
    @SafeVarargs
    static void write(Path file, Map<String, String>... entries) throws IOException, InterruptedException {
        var text = new StringBuilder();
        for (var e : entries) {
            e.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            text.append('\n');
        }
        var p = new ProcessBuilder(remote(), "--output=" + file, "-").redirectErrorStream(true).start();
        p.getOutputStream().write(text.toString().getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("systemd-journal-remote hung");
        }
        assertEquals(0, p.exitValue(), "systemd-journal-remote: " + out);
    }
}
