package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Each launcher, run the way it is used, leaves nothing in /tmp: relaylock once per SMTP
 * connection (a file each would be hundreds of thousands a day), showallowed, and readlog from
 * start to its SIGTERM. Each runs in a mount namespace of its own with an empty tmpfs on /tmp, so
 * that what is there afterwards is exactly what it left, whatever else the machine runs.
 */
class NothingLeftBehindTest {

    /** Where the packaging directory (launchers, jars, the runs' directories) is seen inside the namespace. */
    private static final String SEEN_AT = "/tmp/.poplock-test";

    /**
     * Runs {@code script} in {@code dir} with a fresh /tmp; returns what /tmp holds afterwards, one
     * name a line. The packaging directory (which may itself be under /tmp, as in a clone there) is
     * bound into the new /tmp before anything runs, and left out of the listing.
     */
    private static String leftInTmp(Path dir, String script) throws Exception {
        var packaging = Launchers.BIN.getParent();
        var inside = SEEN_AT + "/" + packaging.relativize(dir);
        // The fresh tmpfs is made beside, the packaging directory bound into it, and only then is it
        // moved over /tmp: a path under the old /tmp cannot be named once it is covered.
        var fresh = packaging.resolve("target/fresh-tmp");
        var wrapped = "set -e; mkdir -p " + fresh + "; mount -t tmpfs poplock-test " + fresh + "; mkdir " + fresh + "/.poplock-test; mount --bind "
                + packaging + " " + fresh + "/.poplock-test; mount --move " + fresh + " /tmp; cd " + inside + "; PATH=" + SEEN_AT + "/bin:$PATH; " + script
                + "\necho '--- /tmp:'; cd /tmp; find . -mindepth 1 -path ./.poplock-test -prune -o -print | sort";
        var p = new ProcessBuilder(List.of("unshare", "--map-root-user", "--mount", "sh", "-c", wrapped)).redirectErrorStream(true);
        Launchers.hostFree(p.environment());
        var process = p.start();
        var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the launchers did not finish: " + out);
        assertEquals(0, process.exitValue(), out);
        assertTrue(out.contains("--- /tmp:\n"), out);
        return out.substring(out.indexOf("--- /tmp:\n") + "--- /tmp:\n".length());
    }

    private static Path workDir() throws Exception {
        return Files.createTempDirectory(Files.createDirectories(Launchers.TARGET.resolve("leftovers")), "run");
    }

    @Test
    void relaylockLeavesNothingPerConnection() throws Exception {
        var dir = workDir();
        var left = leftInTmp(dir, "for i in 1 2 3; do TCPREMOTEIP=127.0.0.9 relaylock --db relay.db /bin/true; done 2>/dev/null");
        assertEquals("", left, "relaylock left in /tmp");
    }

    @Test
    void showallowedLeavesNothing() throws Exception {
        var dir = workDir();
        var left = leftInTmp(dir, "showallowed --db relay.db >/dev/null 2>&1 || true");
        assertEquals("", left, "showallowed left in /tmp");
    }

    @Test
    void readlogLeavesNothingAtItsStop() throws Exception {
        var dir = workDir();
        var left = leftInTmp(dir, ": > mail.log; readlog --log mail.log --db relay.db 2>readlog.err & pid=$!\n"
                + "for i in $(seq 300); do [ -e relay.db ] && break; sleep 0.1; done; [ -e relay.db ]\n"
                + "kill -TERM $pid; wait $pid");
        assertEquals("", left, "readlog left in /tmp");
    }
}
