package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real readlog (packaging/bin/readlog) for one test, registered with {@code @RegisterExtension}
 * and killed after the test; and showallowed's listing of the database it publishes.
 */
final class ReadlogProcess implements AfterEachCallback {

    private Process process;
    private Launchers.StreamText err;

    /** Starts readlog with {@code args} (its standard output discarded) and waits until it says it is following its logs. */
    void start(String... args) throws Exception {
        process = Launchers.command("readlog", Map.of(), args).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        err = new Launchers.StreamText(process.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog following", () -> err.soFar().contains("following") || !process.isAlive());
        assertTrue(process.isAlive(), err.soFar());
    }

    Process process() {
        return process;
    }

    /** What readlog has said on its standard error so far. */
    String said() {
        return err.soFar();
    }

    /** showallowed's listing of {@code db} with {@code extra} arguments: it must exit 0 and say nothing on its standard error. */
    static String listing(Path db, String... extra) {
        try {
            var args = new String[extra.length + 2];
            args[0] = "--db";
            args[1] = db.toString();
            System.arraycopy(extra, 0, args, 2, extra.length);
            var r = Launchers.run("showallowed", Map.of(), args);
            assertEquals(0, r.exit(), r.err());
            assertEquals("", r.err());
            return r.out();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
