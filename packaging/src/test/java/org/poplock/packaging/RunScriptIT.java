package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged daemontools run script for qmail-smtpd behind relaylock, run as it is under a real tcpserver. */
class RunScriptIT {

    @TempDir
    Path dir;

    @Test
    void smtpdRunScriptPutsRelaylockInFrontOfTheSmtpDaemon() throws Exception {
        var db = dir.resolve("relay.db");
        var log = Files.writeString(dir.resolve("mail.log"), Dovecot.login(Instant.now(), "pop3", "127.0.0.1", "alice"));
        Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", db.toString());
        var rules = dir.resolve("tcp.smtp.cdb");
        var tcprules = new ProcessBuilder("tcprules", rules.toString(), dir.resolve("tcp.tmp").toString()).start();
        tcprules.getOutputStream().write(":allow\n".getBytes());
        tcprules.getOutputStream().close();
        assertTrue(tcprules.waitFor(10, TimeUnit.SECONDS));
        var smtpd = Files.writeString(dir.resolve("qmail-smtpd"), "#!/bin/sh\nprintf '220 stand-in RELAYCLIENT=%s\\r\\n' \"${RELAYCLIENT-unset}\"\n");
        smtpd.toFile().setExecutable(true);
        int port = TcpserverIT.freePort();
        var id = new ProcessBuilder("id", "-u").start();
        var uid = new String(id.getInputStream().readAllBytes()).trim();
        var pb = new ProcessBuilder(Path.of("src/deb/service/smtpd/run").toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("run.out").toFile());
        Launchers.hostFree(pb.environment()).putAll(Map.of("QMAILDUID", uid, "NOFILESGID", uid, "MAXSMTPD", "5", "LOCALNAME", "localhost",
                "TCPRULES", rules.toString(), "SMTP_ADDRESS", "127.0.0.1", "SMTP_PORT", String.valueOf(port),
                "RELAYLOCK", Launchers.BIN.resolve("relaylock").toString(), "SMTPD", smtpd.toString(),
                "POPLOCK_DB", db.toString()));
        var run = pb.start();
        try {
            Launchers.await(Duration.ofSeconds(10), "the run script's tcpserver", () -> TcpserverIT.canConnect(port));
            Launchers.await(Duration.ofSeconds(10), "a session", () -> TcpserverIT.session("127.0.0.1", port).startsWith("220 "));
            var logged = TcpserverIT.session("127.0.0.1", port);
            assertTrue(logged.contains("RELAYCLIENT=\r\n"), "relaylock set RELAYCLIENT for the logged-in address: " + logged);
            var other = TcpserverIT.session("127.0.0.2", port);
            assertTrue(other.contains("RELAYCLIENT=unset"), other);
            assertTrue(Files.readString(dir.resolve("run.out")).contains("tcpserver: status:"), "tcpserver -v logs to the log service");
        } finally {
            run.destroy();
            run.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
