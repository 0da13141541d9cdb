package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * showallowed's changes, asked for by an account that may not make them: with readlog running,
 * the real account nobody is told what is wrong (it may not write the spool, and who may), never
 * that readlog is not running.
 */
class ShowAllowedAsUserTest {

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
    void aUserWhoMayNotWriteTheSpoolIsToldSoWhileReadlogRuns() throws Exception {
        Launchers.requireNobody();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        var log = Files.writeString(dir.resolve("mail.log"), "");
        var db = dir.resolve("relay.db");
        readlog = Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", db.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("readlog.out").toFile()).start();
        Launchers.await(Duration.ofSeconds(30), "readlog to publish", () -> Files.exists(db) && Files.isDirectory(dir.resolve("spool")));

        var cmd = new ArrayList<>(Launchers.asNobody());
        cmd.addAll(List.of(Launchers.BIN.resolve("showallowed").toString(), "--db", db.toString(), "--add", "192.0.2.44", "--wait", "2s"));
        var pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Launchers.hostFree(pb.environment()).put("POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + dir);
        var p = pb.start();
        var out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(111, p.exitValue(), out);
        assertTrue(out.matches("showallowed: cannot queue the change in " + java.util.regex.Pattern.quote(dir.resolve("spool").toString())
                + ": Permission denied \\(owner root, group root, mode [rwx-]{9}; run it as root\\); nothing changed\n"), out);
        assertFalse(out.contains("not running"), out);
        assertTrue(readlog.isAlive(), "readlog runs");
    }
}
