package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged daemontools/runit service directory of readlog, run as installed: the .deb installed
 * by dpkg into a {@link ThrowawayRoot} (postinst makes the user poplock and puts it in adm), the
 * service directory copied out of it as the README says, and the real svscan (then runsvdir)
 * started on a private service directory. svscan runs in a mount namespace of its own where that
 * root's /etc and /usr lie over the host's: the run scripts find the user poplock, its groups and
 * /usr/bin/readlog as on an installed system, and nothing of the host changes. readlog follows a
 * mail log of Debian's modes (root:adm 0640); a Dovecot login logged there is granted, and
 * readlog's own lines reach multilog's {@code current} in log/main. The smtpd service directory
 * runs the same way on a qmail host.
 */
class ServiceDirectoryIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void readlogUnderDaemontoolsSvscan() throws Exception {
        runsAsInstalled(List.of("svscan"), "svc", List.of("-dx"));
    }

    @Test
    void readlogUnderRunitRunsvdir() throws Exception {
        runsAsInstalled(List.of("runsvdir", "-P"), "sv", List.of("exit"));
    }

    /** {@code supervisor} started on the service directory; {@code stop stopArgs DIR} stops a service of it. */
    private void runsAsInstalled(List<String> supervisor, String stop, List<String> stopArgs) throws Exception {
        var installed = ThrowawayRoot.create(dir);
        installed.dpkg("-i", Built.deb().toString());
        // The user poplock must reach the log and its own files: the test's directory is root's, 0700.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        var poplock = installed.ids("poplock");

        var mailLog = dir.resolve("mail.log");
        Files.writeString(mailLog, "");
        ThrowawayRoot.run(List.of("chown", "root:adm", mailLog.toString()), Map.of());
        Files.setPosixFilePermissions(mailLog, PosixFilePermissions.fromString("rw-r-----"));
        var data = Files.createDirectories(dir.resolve("data"));
        ThrowawayRoot.run(List.of("chown", poplock[0] + ":" + poplock[1], data.toString()), Map.of());
        var db = data.resolve("relay.db");
        int metricsPort = RedisServer.freePort();
        // As an admin edits the installed poplock.conf.
        Files.writeString(installed.resolve("etc/poplock/poplock.conf"), "log = " + mailLog + "\ndb = " + db
                + "\ntimeout = 15m\nmetrics = inet:127.0.0.1:" + metricsPort + "\n");

        var services = Files.createDirectories(dir.resolve("service"));
        ThrowawayRoot.run(List.of("cp", "-r", installed.resolve("usr/share/poplock/service/readlog").toString(), services.toString()), Map.of());
        var service = services.resolve("readlog");
        var current = service.resolve("log/main/current");

        var process = supervise(installed, supervisor, services, Map.of());
        try {
            await(Duration.ofSeconds(60), "readlog's first line in " + current, () -> text(current).contains("readlog: following [" + mailLog + "]"),
                    current);
            Files.writeString(mailLog, Dovecot.login(Instant.now(), "pop3", "192.0.2.61", "alice"), StandardOpenOption.APPEND);
            await(Duration.ofSeconds(30), "the login to be granted", () -> Launchers.publishedIps(db).contains("192.0.2.61"), current);
            // The table with user names follows the database within a second.
            await(Duration.ofSeconds(10), "showallowed to name alice", () -> {
                try {
                    return Launchers.run("showallowed", Map.of(), "--db", db.toString()).out().lines()
                            .anyMatch(l -> l.startsWith("192.0.2.61 ") && l.contains(" alice "));
                } catch (Exception e) {
                    return false;
                }
            }, current);
            assertEquals("200 ok\n", health(metricsPort), "readlog may read the log and publishes");

            var lines = text(current).lines().toList();
            assertTrue(lines.stream().allMatch(l -> l.matches("@4000[0-9a-f]{20} .*")), "multilog's TAI64N stamps: " + lines);
            assertTrue(lines.stream().noneMatch(l -> l.contains("cannot open")), String.join("\n", lines));
            assertEquals(poplock[0], (int) Files.getAttribute(current.getParent(), "unix:uid"), "log/main belongs to the user that writes it");
        } finally {
            stop(process, stop, stopArgs, service);
        }
    }

    /**
     * The packaged smtpd service directory under svscan on a qmail host (the user qmaill made as
     * qmail's installation makes it): relaylock in front of a stand-in qmail-smtpd under the real
     * tcpserver, and tcpserver's lines in log/main, written as qmaill.
     */
    @Test
    void smtpdUnderDaemontoolsSvscan() throws Exception {
        var installed = ThrowawayRoot.create(dir);
        installed.dpkg("-i", Built.deb().toString());
        ThrowawayRoot.run(List.of("useradd", "--prefix", installed.path().toString(), "--system", "--no-create-home",
                "--shell", "/usr/sbin/nologin", "qmaill"), Map.of());
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        var db = dir.resolve("relay.db");
        var log = Files.writeString(dir.resolve("mail.log"), Dovecot.login(Instant.now(), "pop3", "127.0.0.1", "alice"));
        assertEquals(0, Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", db.toString()).exit());
        var rules = dir.resolve("tcp.smtp.cdb");
        var tcprules = new ProcessBuilder("tcprules", rules.toString(), dir.resolve("tcp.tmp").toString()).start();
        tcprules.getOutputStream().write(":allow\n".getBytes());
        tcprules.getOutputStream().close();
        assertEquals(0, tcprules.waitFor());
        var smtpd = Files.writeString(dir.resolve("qmail-smtpd"), "#!/bin/sh\nprintf '220 stand-in RELAYCLIENT=%s\\r\\n' \"${RELAYCLIENT-unset}\"\n");
        Files.setPosixFilePermissions(smtpd, PosixFilePermissions.fromString("rwxr-xr-x"));

        var services = Files.createDirectories(dir.resolve("service"));
        ThrowawayRoot.run(List.of("cp", "-r", installed.resolve("usr/share/poplock/service/smtpd").toString(), services.toString()), Map.of());
        var service = services.resolve("smtpd");
        var current = service.resolve("log/main/current");
        int port = TcpserverIT.freePort();
        // What a site sets at the top of smtpd/run, given through the supervisor's environment,
        // which the run script inherits: the SMTP service runs as nobody, as qmaild would.
        var process = supervise(installed, List.of("svscan"), services, Map.of("QMAILDUID", uid("nobody"), "NOFILESGID", gid("nogroup"),
                "LOCALNAME", "localhost", "TCPRULES", rules.toString(), "SMTP_ADDRESS", "127.0.0.1", "SMTP_PORT", String.valueOf(port),
                "SMTPD", smtpd.toString(), "POPLOCK_DB", db.toString()));
        try {
            await(Duration.ofSeconds(60), "a session", () -> TcpserverIT.session("127.0.0.1", port).startsWith("220 "), current);
            var granted = TcpserverIT.session("127.0.0.1", port);
            assertTrue(granted.contains("RELAYCLIENT=\r\n"), "relaylock set RELAYCLIENT for the logged-in address: " + granted);
            assertTrue(TcpserverIT.session("127.0.0.2", port).contains("RELAYCLIENT=unset"));
            await(Duration.ofSeconds(20), "tcpserver's lines in " + current, () -> text(current).contains("tcpserver: status:"), current);
            assertTrue(text(current).lines().allMatch(l -> l.matches("@4000[0-9a-f]{20} .*")), text(current));
            assertEquals(installed.ids("qmaill")[0], (int) Files.getAttribute(current.getParent(), "unix:uid"), "log/main is qmaill's");
        } finally {
            stop(process, "svc", List.of("-dx"), service);
        }
    }

    private static String uid(String user) throws Exception {
        return ThrowawayRoot.run(List.of("id", "-u", user), Map.of()).strip();
    }

    private static String gid(String group) throws Exception {
        return ThrowawayRoot.run(List.of("getent", "group", group), Map.of()).split(":")[2];
    }

    /**
     * {@code supervisor} (svscan, runsvdir -P) on {@code services}, in a mount namespace of its own
     * where {@code installed}'s /etc and /usr lie over the host's; its environment PATH and {@code env}.
     */
    private Process supervise(ThrowawayRoot installed, List<String> supervisor, Path services, Map<String, String> env) throws Exception {
        var pb = new ProcessBuilder(new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t overlay overlay -o lowerdir=\"$1/etc\":/etc /etc && mount -t overlay overlay -o lowerdir=\"$1/usr\":/usr /usr"
                        + " && shift && exec \"$@\"", "sh", installed.path().toString())))
                .redirectErrorStream(true).redirectOutput(dir.resolve("supervisor.out").toFile());
        pb.command().addAll(supervisor);
        pb.command().add(services.toString());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().putAll(env);
        return pb.start();
    }

    /** {@link Launchers#await}, failing with what readlog's log and the supervisor said. */
    private void await(Duration limit, String what, java.util.function.BooleanSupplier condition, Path current) throws InterruptedException {
        try {
            Launchers.await(limit, what, condition);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; " + current + " holds:\n" + text(current) + "the supervisor said:\n"
                    + text(dir.resolve("supervisor.out")), e);
        }
    }

    /** The service and its log stopped through the supervisor's own tool, then the supervisor and whatever is left. */
    private static void stop(Process process, String tool, List<String> args, Path service) throws Exception {
        var started = process.descendants().toList();
        for (var s : List.of(service, service.resolve("log"))) {
            var cmd = new ArrayList<>(List.of(tool));
            cmd.addAll(args);
            cmd.add(s.toString());
            new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
        try {
            Launchers.await(Duration.ofSeconds(20), "readlog to stop",
                    () -> started.stream().noneMatch(p -> p.isAlive() && p.info().command().orElse("").endsWith("java")));
        } finally {
            process.destroy();
            started.forEach(ProcessHandle::destroy);
            Launchers.await(Duration.ofSeconds(10), "the supervisor and its children to end",
                    () -> !process.isAlive() && started.stream().noneMatch(ProcessHandle::isAlive));
        }
    }

    private static String health(int port) throws Exception {
        var r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private static String text(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
