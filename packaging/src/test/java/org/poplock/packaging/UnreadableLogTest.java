package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * readlog, as the real account nobody, on a log it may not read: it says why, /health answers 503
 * with it, and once the log may be read, readlog reads it and /health is 200 again.
 */
class UnreadableLogTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private Process readlog;

    @AfterEach
    void stop() throws Exception {
        if (readlog != null) {
            readlog.destroy();
            assertTrue(readlog.waitFor(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aLogReadlogMayNotOpenIsSaidWithItsCauseAndInHealth() throws Exception {
        Launchers.requireNobody();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        var log = Files.writeString(dir.resolve("mail.log"), "");
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-------"));
        var data = Files.createDirectories(dir.resolve("data"));
        new ProcessBuilder("chown", "nobody", data.toString()).inheritIO().start().waitFor();
        var out = dir.resolve("readlog.out");
        int port = RedisServer.freePort();
        var cmd = new ArrayList<>(Launchers.asNobody());
        cmd.addAll(List.of(Launchers.BIN.resolve("readlog").toString(), "--log", log.toString(), "--db", data.resolve("relay.db").toString(),
                "--metrics", "inet:127.0.0.1:" + port));
        var pb = new ProcessBuilder(cmd)
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
        Launchers.hostFree(pb.environment()).put("POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + data);
        readlog = pb.start();

        var denied = "cannot open " + log + ": Permission denied";
        Launchers.await(Duration.ofSeconds(30), "/health to say " + denied, () -> ("503 " + denied + "\n").equals(health(port)));
        assertTrue(Files.readString(out).contains("readlog: " + denied + "; no login is recorded from it until it can be read\n"),
                Files.readString(out));

        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-r--r--"));
        Launchers.await(Duration.ofSeconds(30), "/health to be ok", () -> "200 ok\n".equals(health(port)));
        assertTrue(Files.readString(out).contains("readlog: " + log + ": opened; reading it\n"), Files.readString(out));
        assertEquals(1, Files.readString(out).lines().filter(l -> l.contains(denied)).count(), "said once, not on every poll: " + Files.readString(out));
    }

    private static String health(int port) {
        try {
            var r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body();
        } catch (java.io.IOException e) {
            return "no answer: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
