package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every reader of a grant gives the same answer for the same address at the same moment:
 * relaylock (the published database), showallowed, the policy service (readlog's memory) and the
 * tcprules CDB (tcprulescheck, as tcpserver reads it). All three programs read the packaged
 * poplock.conf, its timeout made short through the environment they share; the grants are those
 * whose stored expiry differs from "login + timeout": a session kept open, an admin's longer
 * grant, a removed one and an expired one.
 */
class OneTruthIT {

    private static final Path PACKAGED_CONF = Path.of("src/deb/etc/poplock.conf").toAbsolutePath();
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);

    @TempDir
    Path dir;

    @RegisterExtension
    final Processes processes = new Processes();

    private Process readlog;

    private Map<String, String> env() {
        return Map.of("POPLOCK_CONFIG", PACKAGED_CONF.toString(), "POPLOCK_DB", dir.resolve("relay.db").toString(),
                "POPLOCK_TIMEOUT", "4s");
    }

    private static String dovecotLogin(Instant at, String ip, String user, int pid) {
        return RFC3339.format(at) + " mail dovecot: imap-login: Login: user=<" + user + ">, method=PLAIN, rip=" + ip
                + ", lip=192.0.2.1, mpid=" + pid + ", TLS, session=<S" + pid + ">\n";
    }

    private static String dovecotLogout(Instant at, String user, int pid) {
        return RFC3339.format(at) + " mail dovecot: imap(" + user + ")<" + pid + "><S" + pid + ">: Info: Disconnected: Logged out in=27 out=556\n";
    }

    @Test
    void relaylockShowallowedThePolicyServiceAndTheCdbAgree() throws Exception {
        var log = Files.writeString(dir.resolve("mail.log"), "");
        var cdb = dir.resolve("tcp.smtp.cdb");
        int policyPort = TcpserverIT.freePort();
        readlog = processes.start(Launchers.command("readlog", env(), "--log", log.toString(),
                "--keep-while-connected", "--policy", "inet:127.0.0.1:" + policyPort, "--tcprules", cdb.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("readlog.out").toFile()));
        Launchers.await(Duration.ofSeconds(30), "the first CDB", () -> Files.exists(cdb) || !readlog.isAlive());
        assertTrue(readlog.isAlive(), Files.readString(dir.resolve("readlog.out")));

        var now = Instant.now();
        Files.writeString(log, dovecotLogin(now, "192.0.2.11", "kept", 101)         // its session stays open
                + dovecotLogin(now, "192.0.2.13", "removed", 103)
                + dovecotLogin(now.minusSeconds(2), "192.0.2.14", "expired", 104) + dovecotLogout(now.minusSeconds(1), "expired", 104)
                + dovecotLogin(now, "192.0.2.15", "plain", 105) + dovecotLogout(now, "plain", 105), StandardOpenOption.APPEND);
        var add = Launchers.run("showallowed", env(), "--add", "192.0.2.12", "--for", "1m", "--wait", "10s");
        assertEquals(0, add.exit(), add.err());
        Launchers.await(Duration.ofSeconds(10), "the logins to be published", () -> Launchers.publishedIps(dir.resolve("relay.db")).contains("192.0.2.15"));
        var removal = Launchers.run("showallowed", env(), "--remove", "192.0.2.13", "--wait", "10s");
        assertEquals(0, removal.exit(), removal.err());

        // Past the timeout of every login: 192.0.2.15 ended with its session, 192.0.2.11's is still open.
        Launchers.await(Duration.ofSeconds(20), "192.0.2.15's 4 s to pass", () -> !answers(policyPort, cdb, "192.0.2.15").containsValue(true));
        var expected = new LinkedHashMap<String, Boolean>();
        expected.put("192.0.2.11", true);   // kept while connected, its login older than the timeout
        expected.put("192.0.2.12", true);   // the admin's --for 1m, longer than the timeout
        expected.put("192.0.2.13", false);  // removed by the admin
        expected.put("192.0.2.14", false);  // expired
        expected.put("192.0.2.15", false);  // expired after its logout
        for (var e : expected.entrySet()) {
            var readers = answers(policyPort, cdb, e.getKey());
            for (var r : readers.entrySet()) {
                assertEquals(e.getValue(), r.getValue(), e.getKey() + " according to " + r.getKey() + ": " + readers);
            }
        }
    }

    /** What each reader says of {@code ip} now: may it relay? */
    private Map<String, Boolean> answers(int policyPort, Path cdb, String ip) {
        try {
            var out = new LinkedHashMap<String, Boolean>();
            var relay = Launchers.run("relaylock", Map.of("TCPREMOTEIP", ip, "POPLOCK_CONFIG", PACKAGED_CONF.toString(),
                    "POPLOCK_DB", dir.resolve("relay.db").toString(), "POPLOCK_TIMEOUT", "4s"), Launchers.envReport().toString());
            out.put("relaylock", relay.out().contains("RELAYCLIENT=[]\n"));
            var list = Launchers.run("showallowed", env(), "--json");
            out.put("showallowed", list.out().lines().anyMatch(l -> l.contains("\"ip\":\"" + ip + "\"") && l.contains("\"live\":true")));
            out.put("policy", policy(policyPort, ip).equals("action=OK\n\n"));
            out.put("tcprules", tcprulescheck(cdb, ip).contains("RELAYCLIENT"));
            return out;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String policy(int port, String ip) throws IOException {
        try (var s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(PolicyServiceTest.request(ip).getBytes(StandardCharsets.US_ASCII));
            var reply = PolicyServiceTest.reply(s.getInputStream());
            return reply == null ? "closed" : reply;
        }
    }

    /** tcprulescheck's account of the rule tcpserver applies to a client at {@code ip}. */
    private static String tcprulescheck(Path cdb, String ip) throws Exception {
        var pb = new ProcessBuilder(List.of("tcprulescheck", cdb.toString())).redirectErrorStream(true);
        pb.environment().put("TCPREMOTEIP", ip);
        var p = pb.start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "tcprulescheck");
        return out;
    }
}
