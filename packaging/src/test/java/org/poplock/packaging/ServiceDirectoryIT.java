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
 * readlog's own lines reach multilog's {@code current} in log/main.
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

        var pb = new ProcessBuilder(new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t overlay overlay -o lowerdir=\"$1/etc\":/etc /etc && mount -t overlay overlay -o lowerdir=\"$1/usr\":/usr /usr"
                        + " && shift && exec \"$@\"", "sh", installed.path().toString())))
                .redirectErrorStream(true).redirectOutput(dir.resolve("supervisor.out").toFile());
        pb.command().addAll(supervisor);
        pb.command().add(services.toString());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        var process = pb.start();
        try {
            await(Duration.ofSeconds(60), "readlog's first line in " + current, () -> text(current).contains("readlog: following [" + mailLog + "]"),
                    current);
            Files.writeString(mailLog, Dovecot.login(Instant.now(), "pop3", "192.0.2.61", "alice"), StandardOpenOption.APPEND);
            await(Duration.ofSeconds(30), "the login to be granted", () -> Launchers.publishedIps(db).contains("192.0.2.61"), current);
            var shown = Launchers.run("showallowed", Map.of(), "--db", db.toString());
            assertTrue(shown.out().lines().anyMatch(l -> l.startsWith("192.0.2.61 ") && l.contains(" alice ")), shown.out() + shown.err());
            assertEquals("200 ok\n", health(metricsPort), "readlog may read the log and publishes");

            var lines = text(current).lines().toList();
            assertTrue(lines.stream().allMatch(l -> l.matches("@4000[0-9a-f]{20} .*")), "multilog's TAI64N stamps: " + lines);
            assertTrue(lines.stream().noneMatch(l -> l.contains("cannot open")), String.join("\n", lines));
            assertEquals(poplock[0], (int) Files.getAttribute(current.getParent(), "unix:uid"), "log/main belongs to the user that writes it");
        } finally {
            stop(process, stop, stopArgs, service);
        }
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
