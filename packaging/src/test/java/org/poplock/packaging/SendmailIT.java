package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * Debian's sendmail (sendmail-bin and sendmail-cf, unpacked by .ci/run beside Postfix) as a
 * daemon on a free port, with a private sendmail.cf built by m4 from an .mc that holds the line
 * docs/sendmail.md shows (read from there, the socket's path replaced): its socket map asks
 * readlog's {@code --socketmap}. swaks sends from 127.0.0.2 (granted) and 127.0.0.3 (never).
 * sendmail runs in its own UTS namespace named mx.local.test: with an unqualified host name it
 * sleeps a minute at start ("unable to qualify my own domain name").
 */
class SendmailIT {

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (var p : started) {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    private static Path sendmailRoot() {
        var root = System.getenv("POPLOCK_SENDMAIL");
        Launchers.assumeOrInCiRequire(Launchers.root(), "sendmail's daemon and unshare need root");
        assertTrue(root != null && Files.isExecutable(Path.of(root, "usr/libexec/sendmail/sendmail")),
                "POPLOCK_SENDMAIL names the directory sendmail-bin and sendmail-cf are unpacked in (.ci/run does it): " + root);
        return Path.of(root);
    }

    /** The .mc block of docs/sendmail.md: the one place the map and its check are written. */
    static String documentedLines() throws Exception {
        var doc = Files.readString(Path.of("..", "docs", "sendmail.md"));
        int marker = doc.indexOf("<!-- SendmailIT");
        int start = doc.indexOf("```\n", marker) + 4;
        return doc.substring(start, doc.indexOf("```", start));
    }

    private Path config(Path root, int port, Path socket) throws Exception {
        var cf = root.resolve("usr/share/sendmail/cf");
        Files.createDirectories(dir.resolve("mqueue"));
        Files.writeString(dir.resolve("service.switch"), "hosts files\n");
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost mx.local.test\n");
        Files.writeString(dir.resolve("statistics"), "");
        var mc = String.join("\n",
                "divert(-1)",
                "include(`" + cf + "/m4/cf.m4')",
                "divert(0)dnl",
                "VERSIONID(`poplock SendmailIT')dnl",
                "OSTYPE(`linux')dnl",
                "define(`confDONT_PROBE_INTERFACES', `True')dnl",
                "define(`QUEUE_DIR', `" + dir.resolve("mqueue") + "')dnl",
                "define(`ALIAS_FILE', `')dnl",
                "define(`STATUS_FILE', `" + dir.resolve("statistics") + "')dnl",
                "define(`confPID_FILE', `" + dir.resolve("sendmail.pid") + "')dnl",
                "define(`confHELP_FILE', `')dnl",
                "define(`confSERVICE_SWITCH_FILE', `" + dir.resolve("service.switch") + "')dnl",
                "define(`confHOSTS_FILE', `" + dir.resolve("hosts") + "')dnl",
                "define(`confDOMAIN_NAME', `mx.local.test')dnl",
                // the test's directory is under /tmp, sticky and world-writable: sendmail refuses a socket below it otherwise
                "define(`confDONT_BLAME_SENDMAIL', `GroupWritableDirPathSafe,TrustStickyBit')dnl",
                "FEATURE(`no_default_msa')dnl", // no second daemon on port 587
                // a busy test machine's load average is over the defaults, at which sendmail closes its port or only queues
                "define(`confREFUSE_LA', `1000')dnl",
                "define(`confQUEUE_LA', `1000')dnl",
                "FEATURE(`nocanonify')dnl",
                "FEATURE(`accept_unresolvable_domains')dnl",
                "DAEMON_OPTIONS(`Port=" + port + ", Addr=127.0.0.1, Name=MTA')dnl",
                "LOCAL_DOMAIN(`local.test')dnl",
                documentedLines().replace("/run/poplock/socketmap", socket.toString()).strip(),
                "MAILER(`local')dnl",
                "MAILER(`smtp')dnl",
                "");
        Files.writeString(dir.resolve("test.mc"), mc);
        var m4 = new ProcessBuilder("m4", dir.resolve("test.mc").toString()).redirectOutput(dir.resolve("test.cf").toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertEquals(0, m4.waitFor(), "m4 test.mc");
        return dir.resolve("test.cf");
    }

    record Reply(String line, long millis) {
        String code() {
            return line.length() >= 3 ? line.substring(0, 3) : line;
        }
    }

    /** swaks from {@code source}: sendmail's reply to RCPT TO {@code to}, and how long the dialogue took. */
    private static Reply rcpt(int port, String source, String to) throws Exception {
        long start = System.nanoTime();
        var p = new ProcessBuilder("swaks", "--server", "127.0.0.1:" + port, "--local-interface", source, "--from", "a@example.com",
                "--to", to, "--quit-after", "RCPT", "--timeout", "60").redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS));
        var lines = out.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("RCPT TO:") && i + 1 < lines.size()) {
                var reply = lines.get(i + 1).replaceFirst("^<[-~*]*\\s+", "");
                return new Reply(reply, (System.nanoTime() - start) / 1_000_000);
            }
        }
        throw new AssertionError("no RCPT reply from swaks:\n" + out);
    }

    private static boolean answers(int port) {
        try (var s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void aLoginLetsItsAddressRelayUntilTheTimeoutAndReadlogStoppedOrHungMeansNoRelayButLocalMail() throws Exception {
        var root = sendmailRoot();
        int port = RedisServer.freePort();
        var socket = dir.resolve("socketmap");
        var conf = config(root, port, socket);
        var log = dir.resolve("mail.log");
        Files.writeString(log, "");
        var readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", dir.resolve("relay.db").toString(),
                "--timeout", "8s", "--socketmap", "unix:" + socket).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(readlog);
        var err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog's socketmap", () -> err.soFar().contains("socketmap lookups on"));
        var sendmail = new ProcessBuilder("unshare", "--uts", "sh", "-c", "hostname mx.local.test && exec \"$0\" -C \"$1\" -bD",
                root.resolve("usr/libexec/sendmail/sendmail").toString(), conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("sendmail.out").toFile()).start();
        started.add(sendmail);
        try {
            Launchers.await(Duration.ofSeconds(30), "sendmail listening on " + port, () -> answers(port));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; sendmail said: " + Files.readString(dir.resolve("sendmail.out")), e);
        }

        var before = rcpt(port, "127.0.0.2", "u@elsewhere.test");
        System.out.println("sendmail: before the login, relay from 127.0.0.2: " + before.line());
        assertEquals("550", before.code(), "no relay before a login: " + before.line());
        Files.writeString(log, Dovecot.login(Instant.now(), "imap", "127.0.0.2", "alice"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(5), "the grant published", () -> Launchers.publishedIps(dir.resolve("relay.db")).contains("127.0.0.2"));
        var after = rcpt(port, "127.0.0.2", "u@elsewhere.test");
        System.out.println("sendmail: after the login, relay from 127.0.0.2: " + after.line());
        assertEquals("250", after.code(), "relay after the login: " + after.line());
        var other = rcpt(port, "127.0.0.3", "u@elsewhere.test");
        System.out.println("sendmail: relay from 127.0.0.3 (no login): " + other.line());
        assertEquals("550", other.code(), "another address may not relay: " + other.line());
        var local = rcpt(port, "127.0.0.3", "root@local.test");
        System.out.println("sendmail: local mail from 127.0.0.3: " + local.line());
        assertEquals("250", local.code(), "local mail is accepted: " + local.line());
        Launchers.await(Duration.ofSeconds(30), "relay refused again after the 8 s timeout", () -> {
            try {
                return rcpt(port, "127.0.0.2", "u@elsewhere.test").code().equals("550");
            } catch (Exception | AssertionError e) {
                return false; // swaks could not get a reply yet
            }
        });
        System.out.println("sendmail: after the timeout, relay from 127.0.0.2 refused again");

        Files.writeString(log, Dovecot.login(Instant.now(), "imap", "127.0.0.2", "alice"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(10), "relay after a second login", () -> {
            try {
                return rcpt(port, "127.0.0.2", "u@elsewhere.test").code().equals("250");
            } catch (Exception | AssertionError e) {
                return false; // swaks could not get a reply yet
            }
        });
        Launchers.signal(readlog, "STOP"); // hung: the kernel takes the connection, no answer comes
        var hung = rcpt(port, "127.0.0.2", "u@elsewhere.test");
        var hungLocal = rcpt(port, "127.0.0.2", "root@local.test");
        System.out.println("sendmail: readlog hung (SIGSTOP): relay " + hung.line() + " in " + hung.millis() + " ms; local mail "
                + hungLocal.line() + " in " + hungLocal.millis() + " ms");
        assertEquals("451", hung.code(), "readlog hung: no relay (sendmail's read timeout, said as a 451): " + hung.line());
        assertEquals("250", hungLocal.code(), "readlog hung: local mail accepted: " + hungLocal.line());
        assertTrue(hung.millis() < 20_000, "the map's -d5s, not sendmail's default: " + hung.millis() + " ms");
        Launchers.signal(readlog, "CONT");
        readlog.destroyForcibly(); // SIGKILL: the socket stays, and nobody answers on it
        readlog.waitFor();
        var stopped = rcpt(port, "127.0.0.2", "u@elsewhere.test");
        var stoppedLocal = rcpt(port, "127.0.0.2", "root@local.test");
        System.out.println("sendmail: readlog stopped: relay " + stopped.line() + " in " + stopped.millis() + " ms; local mail "
                + stoppedLocal.line());
        assertEquals("550", stopped.code(), "readlog stopped: no relay: " + stopped.line());
        assertEquals("250", stoppedLocal.code(), "readlog stopped: local mail accepted: " + stoppedLocal.line());
    }
}
