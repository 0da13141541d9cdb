package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A root directory that dpkg installs into as it would into /: its own package database, and
 * the system's users and groups copied in, so that the maintainer scripts (run with DPKG_ROOT)
 * create the package's user there and nowhere else.
 */
final class ThrowawayRoot {

    private final Path root;
    private final Path dpkgLog;

    private ThrowawayRoot(Path root, Path dpkgLog) {
        this.root = root;
        this.dpkgLog = dpkgLog;
    }

    /** An empty root at {@code dir/root}, dpkg's log beside it. */
    static ThrowawayRoot create(Path dir) throws Exception {
        var root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("var/lib/dpkg/info"));
        Files.createDirectories(root.resolve("var/lib/dpkg/updates"));
        Files.createFile(root.resolve("var/lib/dpkg/status"));
        Files.createDirectories(root.resolve("etc"));
        for (var f : List.of("passwd", "group", "shadow", "gshadow", "login.defs")) {
            if (Files.exists(Path.of("/etc", f))) {
                Files.copy(Path.of("/etc", f), root.resolve("etc").resolve(f));
            }
        }
        return new ThrowawayRoot(root, dir.resolve("dpkg.log"));
    }

    Path path() {
        return root;
    }

    Path resolve(String relative) {
        return root.resolve(relative);
    }

    /** dpkg ARGS on this root (-i FILE, -r poplock, -P poplock); fails the test unless it succeeds. */
    String dpkg(String... args) throws Exception {
        var cmd = new ArrayList<>(List.of("dpkg", "--root=" + root, "--force-script-chrootless", "--force-depends",
                "--force-not-root", "--log=" + dpkgLog));
        cmd.addAll(List.of(args));
        return run(cmd, Map.of());
    }

    /** The uid and gid of a user of this root, as its /etc/passwd says. */
    int[] ids(String user) throws Exception {
        var line = Files.readAllLines(root.resolve("etc/passwd")).stream().filter(l -> l.startsWith(user + ":")).findFirst()
                .orElseThrow(() -> new AssertionError("no user " + user + " in " + root + "/etc/passwd"));
        var fields = line.split(":");
        return new int[] {Integer.parseInt(fields[2]), Integer.parseInt(fields[3])};
    }

    /** Runs a command to its end (five minutes at most); fails the test unless it exits 0; returns its output. */
    static String run(List<String> cmd, Map<String, String> env) throws Exception {
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        var p = pb.start();
        var out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }
}
