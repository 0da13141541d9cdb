package org.poplock.readlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A readlog that joined the cluster and then cannot start stops the cluster's threads with it. */
class DaemonStartTest {

    @TempDir
    Path dir;

    private static boolean clusterThreadsAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().startsWith("cluster-"));
    }

    @Test
    void theClustersThreadsStopWhenTheDaemonCannotStartAfterJoining() throws Exception {
        int closed;
        try (var socket = new ServerSocket(0)) {
            closed = socket.getLocalPort(); // nobody listens there once closed: the cluster is away
        }
        var log = Files.writeString(dir.resolve("mail.log"), "");
        Files.writeString(dir.resolve("spool"), "a file where the spool directory goes");
        var err = new ByteArrayOutputStream();
        int status = new Readlog(Clock.systemUTC(), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(new String[] {"--log", log.toString(), "--db", dir.resolve("relay.db").toString(), "--cluster",
                    "redis://127.0.0.1:" + closed, "--cluster-host", "pop-a"}, Map.of());
        var said = err.toString(StandardCharsets.UTF_8);
        assertEquals(111, status, said);
        assertTrue(said.contains("cannot create the spool for showallowed's changes"), said);
        assertTrue(!clusterThreadsAlive(), "the cluster's threads ended with the failed start: " + said);
    }
}
