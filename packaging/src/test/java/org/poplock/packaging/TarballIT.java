package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tarball for hosts without dpkg: unpacked, installed into a throwaway root, run, removed. */
class TarballIT {

    static final Path TARBALL = Built.tarball();

    @TempDir
    Path dir;

    private static String run(Path cwd, Map<String, String> env, String... cmd) throws Exception {
        var pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        var p = pb.start();
        var out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    @Test
    void installsIntoARootRunsAndUninstalls() throws Exception {
        run(dir, Map.of(), "tar", "-xzf", TARBALL.toString());
        var unpacked = dir.resolve("poplock-" + Built.version());
        var root = Files.createDirectories(dir.resolve("root/etc"));
        for (var f : List.of("passwd", "group", "shadow", "gshadow", "login.defs")) {
            if (Files.exists(Path.of("/etc", f))) {
                Files.copy(Path.of("/etc", f), root.resolve(f));
            }
        }
        var top = dir.resolve("root");
        run(unpacked, Map.of(), "./install.sh", top.toString());
        var bin = top.resolve("usr/share/poplock/bin");
        var log = Files.writeString(dir.resolve("mail.log"), Dovecot.login(Instant.now(), "imap", "192.0.2.96", "tarball"));
        var db = dir.resolve("relay.db");
        run(dir, Map.of(), bin.resolve("readlog").toString(), "--once", "--log", log.toString(), "--db", db.toString());
        var relay = run(dir, Map.of("TCPREMOTEIP", "192.0.2.96"), bin.resolve("relaylock").toString(), "--db", db.toString(), "/usr/bin/env");
        assertTrue(relay.lines().anyMatch("RELAYCLIENT="::equals), relay);
        assertTrue(Files.readString(top.resolve("etc/passwd")).contains("\npoplock:"));

        run(unpacked, Map.of(), "./install.sh", "--purge", top.toString());
        assertFalse(Files.exists(top.resolve("usr/share/poplock")));
        assertFalse(Files.exists(top.resolve("etc/poplock")));
        assertFalse(Files.exists(top.resolve("var/lib/poplock")));
    }
}
