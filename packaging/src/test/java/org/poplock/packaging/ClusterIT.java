package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import redis.clients.jedis.StreamEntryID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster through a real Debian redis-server: readlogs on "POP hosts" (following a log) and
 * "SMTP hosts" (the cluster only), each with its own state and database, started through the
 * real launcher; what counts is what relaylock and showallowed on each host then see.
 */
class ClusterIT {

    @TempDir
    Path dir;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    /** One host's readlog: its log (for a POP host), its database, its stderr. */
    final class Host implements AutoCloseable {
        final String name;
        final Path home;
        final Path log;
        final Path db;
        final List<String> args;
        Process process;
        Launchers.StreamText err;

        Host(String name, boolean pop, String... args) throws Exception {
            this.name = name;
            this.home = Files.createDirectories(dir.resolve(name));
            this.log = pop ? Files.createFile(home.resolve("mail.log")) : null;
            this.db = home.resolve("relay.db");
            var all = new ArrayList<String>();
            if (pop) {
                all.addAll(List.of("--log", log.toString()));
            }
            all.addAll(List.of("--db", db.toString(), "--cluster-host", name, "--summary-every", "1h"));
            all.addAll(List.of(args));
            this.args = all;
            running.add(this);
        }

        Host start() throws Exception {
            process = Launchers.command("readlog", Map.of(), args.toArray(String[]::new)).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            err = new Launchers.StreamText(process.getErrorStream());
            Launchers.await(Duration.ofSeconds(30), name + " to start", () -> err.soFar().contains("following") || !process.isAlive());
            assertTrue(process.isAlive(), name + " exited: " + err.soFar());
            return this;
        }

        void login(String ip, String user) throws Exception {
            Files.writeString(log, Dovecot.login(Instant.now(), "pop3", ip, user), StandardOpenOption.APPEND);
        }

        void awaitGranted(String ip) throws Exception {
            awaitOn(ip + " granted on " + name, () -> Launchers.publishedIps(db).contains(ip));
        }

        void awaitNot(String ip) throws Exception {
            awaitOn(ip + " withdrawn on " + name, () -> !Launchers.publishedIps(db).contains(ip));
        }

        /** What relaylock on this host, run as tcpserver would for a client at {@code ip}, sets RELAYCLIENT to (null: not set). */
        String relaylock(String ip) throws Exception {
            var r = Launchers.run("relaylock", Map.of("TCPREMOTEIP", ip), "--db", db.toString(), Launchers.envReport().toString());
            assertEquals(0, r.exit(), r.err());
            return r.out().lines().filter(l -> l.startsWith("RELAYCLIENT=[")).findFirst().map(l -> l.substring(13, l.length() - 1)).orElse(null);
        }

        void stop() throws Exception {
            Launchers.signal(process, "TERM");
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " did not stop");
            assertEquals(0, process.exitValue(), err.text());
        }

        /** Waits for a line of readlog's containing {@code text}. */
        void awaitSays(String text) throws Exception {
            awaitOn(name + " to say '" + text + "'", () -> lines(text) > 0);
        }

        private void awaitOn(String what, java.util.function.BooleanSupplier condition) throws Exception {
            try {
                Launchers.await(Duration.ofSeconds(40), what, condition);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; " + name + " said:\n" + err.soFar());
            }
        }

        long lines(String containing) {
            return err.soFar().lines().filter(l -> l.contains(containing)).count();
        }

        @Override
        public void close() throws Exception {
            if (process != null && process.isAlive()) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }

    /** A Redis that keeps its data across a SIGKILL (AOF, fsync always), on {@code port}, data in {@code data}: started again on the same. */
    private RedisServer persistentRedis(Path data, int port) throws Exception {
        var redis = new RedisServer(data, port, "--appendonly", "yes", "--appendfsync", "always");
        running.add(redis);
        return redis.start();
    }

    private RedisServer redis(String... extra) throws Exception {
        var redis = new RedisServer(dir.resolve("redis-" + running.size()), extra);
        running.add(redis);
        return redis.start();
    }

    /** A Redis with docs/cluster.md's users: pop (may write) and smtp (may only read), their passwords in pop.pw and smtp.pw. */
    private RedisServer redisWithUsers() throws Exception {
        var acl = dir.resolve("users.acl");
        Files.writeString(acl, """
                user default off
                user pop on >pop-secret ~poplock:* resetchannels -@all +ping +hello +auth +select +client|setname +get +set +del +xadd +xread +xinfo +xrange +scan +mget +eval
                user smtp on >smtp-secret ~poplock:* resetchannels -@all +ping +hello +auth +select +client|setname +get +xread +xinfo +xrange +scan +mget
                """);
        Files.writeString(dir.resolve("pop.pw"), "pop-secret\n");
        Files.writeString(dir.resolve("smtp.pw"), "smtp-secret\n");
        return redis("--aclfile", acl.toString());
    }

    /** What showallowed on {@code host} prints; empty when it fails. */
    private static String showallowed(Host host, String... args) {
        try {
            var all = new ArrayList<>(List.of("--db", host.db.toString()));
            all.addAll(List.of(args));
            return Launchers.run("showallowed", Map.of(), all.toArray(String[]::new)).out();
        } catch (Exception e) {
            return "";
        }
    }

    @Test
    void aLoginOnOnePopHostIsGrantedOnEverySmtpHostAndARemovalOnAnotherIsWithdrawnEverywhere() throws Exception {
        var redis = redis();
        var a = new Host("pop-a", true, "--cluster", redis.url()).start();
        var b = new Host("pop-b", true, "--cluster", redis.url()).start();
        var c = new Host("smtp-c", false, "--cluster", redis.url()).start();
        var d = new Host("smtp-d", false, "--cluster", redis.url()).start();

        assertEquals(null, c.relaylock("203.0.113.9"), "no grant before the login");
        a.login("203.0.113.9", "alice");
        for (var host : List.of(a, b, c, d)) {
            host.awaitGranted("203.0.113.9");
        }
        assertEquals("", c.relaylock("203.0.113.9"), "relaylock on an SMTP host grants a login made on a POP host");
        assertEquals("", d.relaylock("203.0.113.9"));
        assertEquals(null, d.relaylock("203.0.113.10"));
        // The table with user names follows the database within a second.
        Launchers.await(Duration.ofSeconds(10), "showallowed on smtp-c to name alice of pop-a", () -> {
            var shown = showallowed(c, "--json");
            return shown.contains("\"ip\":\"203.0.113.9\",\"user\":\"alice\"") && shown.contains("\"origin\":\"pop-a\"");
        });
        var table = Launchers.run("showallowed", Map.of(), "--db", c.db.toString());
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith("203.0.113.9") && l.endsWith(" pop-a")), table.out());

        var removed = Launchers.run("showallowed", Map.of(), "--db", b.db.toString(), "--remove", "203.0.113.9");
        assertEquals(0, removed.exit(), removed.err());
        for (var host : List.of(a, b, c, d)) {
            host.awaitNot("203.0.113.9");
        }
        assertEquals(null, c.relaylock("203.0.113.9"));
        try (var jedis = redis.client()) {
            assertFalse(jedis.exists("poplock:grant:203.0.113.9"), "the removal took the key too");
        }
    }

    @Test
    void redisKilledWhileAPopHostRecordsLoginsLosesNone() throws Exception {
        int port = RedisServer.freePort();
        var data = dir.resolve("redis-data");
        var redis = persistentRedis(data, port);
        var a = new Host("pop-a", true, "--cluster", redis.url()).start();
        var c = new Host("smtp-c", false, "--cluster", redis.url()).start();
        for (int i = 1; i <= 3; i++) {
            a.login("198.51.100." + i, "before" + i);
        }
        c.awaitGranted("198.51.100.3");

        redis.kill();
        for (int i = 11; i <= 15; i++) {
            a.login("198.51.100." + i, "during" + i);
        }
        a.awaitGranted("198.51.100.15"); // recorded and published here at once
        a.awaitSays(" lost: ");
        assertEquals("", c.relaylock("198.51.100.2"), "grants C had keep working while Redis is away");
        // A restarted while Redis is away: its queued logins are in its state.
        a.stop();
        a.start();
        a.login("198.51.100.16", "during16");
        a.awaitGranted("198.51.100.16");

        var back = persistentRedis(data, port);
        for (int i = 11; i <= 16; i++) {
            c.awaitGranted("198.51.100." + i);
        }
        assertEquals("", c.relaylock("198.51.100.14"));
        c.awaitSays(" back after ");
        assertEquals(1, c.lines(" lost: "), "one line when the cluster is lost: " + c.err.soFar());
        assertTrue(a.lines(" lost: ") <= 1, a.err.soFar());
        try (var jedis = back.client()) {
            var sent = jedis.xrange("poplock:stream", (StreamEntryID) null, (StreamEntryID) null)
                    .stream().filter(e -> e.getFields().get("user").startsWith("during")).map(e -> e.getFields().get("ip")).toList();
            assertEquals(List.of("198.51.100.11", "198.51.100.12", "198.51.100.13", "198.51.100.14", "198.51.100.15", "198.51.100.16"), sent,
                    "A's queued logins reach the stream in order, each once");
        }
    }

    @Test
    void anSmtpHostRestartedWhileRedisIsDownAndAfterTheStreamWasTrimmedEndsWithExactlyTheLiveGrants() throws Exception {
        int port = RedisServer.freePort();
        var data = dir.resolve("redis-data");
        var redis = persistentRedis(data, port);
        var a = new Host("pop-a", true, "--cluster", redis.url()).start();
        var c = new Host("smtp-c", false, "--cluster", redis.url()).start();
        a.login("192.0.2.21", "kept");
        a.login("192.0.2.22", "removed-later");
        c.awaitGranted("192.0.2.22");

        // Restarted while Redis is down: C serves from its state. The database C left goes with
        // it, so that relaylock can only grant what the restarted C kept and published again.
        redis.kill();
        c.stop();
        Files.delete(c.db);
        c.start();
        c.awaitGranted("192.0.2.21");
        assertEquals("", c.relaylock("192.0.2.21"), "C restarted without Redis still grants what it had");
        var back = persistentRedis(data, port);
        a.login("192.0.2.23", "after-outage");
        c.awaitGranted("192.0.2.23");

        // C stopped; meanwhile a removal and a login, and the stream trimmed past C's position.
        c.stop();
        var removed = Launchers.run("showallowed", Map.of(), "--db", a.db.toString(), "--remove", "192.0.2.22");
        assertEquals(0, removed.exit(), removed.err());
        a.login("192.0.2.24", "while-c-away");
        try (var jedis = back.client()) {
            Launchers.await(Duration.ofSeconds(30), "A's login in Redis", () -> jedis.exists("poplock:grant:192.0.2.24"));
            jedis.xtrim("poplock:stream", 0, false);
        }
        c.start();
        c.awaitGranted("192.0.2.24");
        c.awaitNot("192.0.2.22");
        assertEquals(List.of("192.0.2.21", "192.0.2.23", "192.0.2.24"), Launchers.publishedIps(c.db), "exactly the live grants");
        assertTrue(c.lines("loaded 3 current grants") == 1, c.err.soFar());
    }

    @Test
    void hostileStreamEntriesAreIgnoredAndCountedAndNothingIsGranted() throws Exception {
        var redis = redis();
        var c = new Host("smtp-c", false, "--cluster", redis.url()).start();
        long now = System.currentTimeMillis();
        var fine = Map.of("op", "grant", "ip", "192.0.2.50", "user", "u", "login", "" + now, "expiry", "" + (now + 60_000), "host", "pop-x",
                "at", "" + now);
        try (var jedis = redis.client()) {
            c.awaitSays("following its stream");
            var hostile = List.of(
                    with(fine, "ip", "not-an-address"),
                    with(fine, "ip", "::ffff:192.0.2.51"), // not canonical: that is 192.0.2.51
                    with(fine, "ip", "0.0.0.0"),
                    with(with(fine, "ip", "192.0.2.52"), "expiry", "" + (now - 1000)),
                    with(with(fine, "ip", "192.0.2.53"), "expiry", "" + (now + 400L * 24 * 3600 * 1000)),
                    with(with(fine, "ip", "192.0.2.54"), "login", "yesterday"),
                    with(with(fine, "ip", "192.0.2.55"), "op", "grant-all"),
                    with(with(fine, "ip", "192.0.2.56"), "user", "a\nforged line"),
                    with(with(fine, "ip", "192.0.2.57"), "host", "x y"),
                    with(with(fine, "ip", "192.0.2.58"), "user", "x".repeat(1 << 20)),
                    Map.of("garbage", "only"));
            for (var fields : hostile) {
                jedis.xadd("poplock:stream", StreamEntryID.NEW_ENTRY, fields);
            }
            jedis.xadd("poplock:stream", StreamEntryID.NEW_ENTRY, fine);
        }
        c.awaitGranted("192.0.2.50"); // the follower went on past all of them
        assertEquals(List.of("192.0.2.50"), Launchers.publishedIps(c.db), "nothing hostile was granted");
        assertTrue(c.lines("ignoring stream entry") >= 1, c.err.soFar());
        assertTrue(c.err.soFar().lines().allMatch(l -> l.length() < 600), "no 1 MB line on stderr");
        c.stop();
        assertTrue(c.err.text().contains("11 stream entries ignored"), "ignored entries are counted: " + c.err.text());
    }

    @Test
    void aGrantKeyHoldingATimeOutOfRangeBlocksNoAddressAndStopsNoSending() throws Exception {
        var redis = redis();
        try (var jedis = redis.client()) {
            // Anyone who can write Redis: an expiry of 25 digits would outlast every real grant of the address.
            jedis.set("poplock:grant:192.0.2.70", "1 9999999999999999999999999 pop-x mallory");
            // A login time of 19 digits: a flush looks at every key's login time.
            jedis.set("poplock:grant:192.0.2.71", "9999999999999999999 1 pop-x mallory");
        }
        var a = new Host("pop-a", true, "--cluster", redis.url()).start();
        var c = new Host("smtp-c", false, "--cluster", redis.url()).start();
        a.login("192.0.2.70", "alice");
        c.awaitGranted("192.0.2.70"); // the real grant replaced the key that held no grant
        a.awaitSays("ignoring grant key \"poplock:grant:192.0.2.70\": its value held no grant this version writes (a time out of range); replaced");

        var flushed = Launchers.run("showallowed", Map.of(), "--db", a.db.toString(), "--flush");
        assertEquals(0, flushed.exit(), flushed.err());
        c.awaitNot("192.0.2.70");
        a.login("192.0.2.72", "bob");
        c.awaitGranted("192.0.2.72"); // the sender went on past the flush: it was sent once, not resent for ever
        try (var jedis = redis.client()) {
            var flushes = jedis.xrange("poplock:stream", (StreamEntryID) null, (StreamEntryID) null).stream()
                    .filter(e -> "flush".equals(e.getFields().get("op"))).count();
            assertEquals(1, flushes, "one flush on the stream");
        }
        assertEquals(0, a.lines("lost"), a.err.soFar());
        assertEquals(1, a.lines("ignoring grant key \"poplock:grant:192.0.2.71\": its value holds no login time in ms"), a.err.soFar());
    }

    private static Map<String, String> with(Map<String, String> fields, String key, String value) {
        var out = new java.util.HashMap<>(fields);
        out.put(key, value);
        return out;
    }

    @Test
    void wrongPasswordTlsMismatchAndAReadOnlyUserEachCostOneClearLineAndLocalWorkGoesOn() throws Exception {
        var redis = redisWithUsers();
        var popPassword = dir.resolve("pop.pw");
        var smtpPassword = dir.resolve("smtp.pw");
        var wrong = Files.writeString(dir.resolve("wrong.pw"), "guess\n");

        var a = new Host("pop-a", true, "--cluster", redis.url(), "--cluster-user", "pop", "--cluster-password-file", popPassword.toString()).start();
        var c = new Host("smtp-c", false, "--cluster", redis.url(), "--cluster-user", "smtp", "--cluster-password-file", smtpPassword.toString()).start();
        var guesser = new Host("pop-g", true, "--cluster", redis.url(), "--cluster-user", "pop", "--cluster-password-file", wrong.toString()).start();
        var rogue = new Host("rogue", true, "--cluster", redis.url(), "--cluster-user", "smtp", "--cluster-password-file", smtpPassword.toString()).start();

        a.login("192.0.2.60", "alice");
        c.awaitGranted("192.0.2.60"); // the ACL users as documented work

        guesser.login("192.0.2.61", "bob");
        guesser.awaitGranted("192.0.2.61"); // local work goes on
        guesser.awaitSays("wrong user or password");
        rogue.login("192.0.2.62", "mallory");
        rogue.awaitGranted("192.0.2.62");
        rogue.awaitSays("refused by its ACL");
        a.login("192.0.2.63", "carol");
        c.awaitGranted("192.0.2.63");
        assertFalse(Launchers.publishedIps(c.db).contains("192.0.2.61") || Launchers.publishedIps(c.db).contains("192.0.2.62"),
                "nothing of a host with a wrong password or a read-only user is granted elsewhere");
        assertEquals(1, guesser.lines(" lost: "), "one line, not one per retry: " + guesser.err.soFar());
        assertEquals(1, rogue.lines(" lost: "), rogue.err.soFar());
        assertFalse(guesser.err.soFar().contains("guess") || guesser.err.soFar().contains("pop-secret"), "no password in any message");
    }

    @Test
    void overTlsWithTheClustersCaAndAPlainClientAgainstTlsOnlyIsOneClearLine() throws Exception {
        var pki = Files.createDirectories(dir.resolve("pki"));
        openssl(pki, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test CA", "-keyout", "ca.key", "-out", "ca.crt");
        openssl(pki, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "redis.key", "-out", "redis.csr");
        Files.writeString(pki.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        openssl(pki, "x509", "-req", "-in", "redis.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
                "-extfile", "san.ext", "-out", "redis.crt");
        int tlsPort = RedisServer.freePort();
        var redis = redis("--port", "0", "--tls-port", String.valueOf(tlsPort), "--tls-cert-file", pki.resolve("redis.crt").toString(),
                "--tls-key-file", pki.resolve("redis.key").toString(), "--tls-ca-cert-file", pki.resolve("ca.crt").toString(),
                "--tls-auth-clients", "no");
        var url = "rediss://127.0.0.1:" + tlsPort + "/0";
        var ca = pki.resolve("ca.crt").toString();
        var a = new Host("pop-a", true, "--cluster", url, "--cluster-ca", ca).start();
        var c = new Host("smtp-c", false, "--cluster", url, "--cluster-ca", ca).start();
        var plain = new Host("plain", true, "--cluster", "redis://127.0.0.1:" + tlsPort + "/0").start();
        a.login("192.0.2.70", "alice");
        c.awaitGranted("192.0.2.70");
        plain.login("192.0.2.71", "bob");
        plain.awaitGranted("192.0.2.71");
        plain.awaitSays(" lost: ");
        assertTrue(plain.err.soFar().contains("rediss://"), "the line says what to do: " + plain.err.soFar());
        assertEquals(1, plain.lines(" lost: "), plain.err.soFar());
        assertFalse(Launchers.publishedIps(c.db).contains("192.0.2.71"));
        assertEquals("", c.relaylock("192.0.2.70"), "relaylock on C grants the login that came over TLS");
        Launchers.await(Duration.ofSeconds(10), "showallowed on C to name alice of pop-a", () -> {
            var shown = showallowed(c, "--json");
            return shown.contains("\"ip\":\"192.0.2.70\",\"user\":\"alice\"") && shown.contains("\"origin\":\"pop-a\"");
        });
    }

    private static void openssl(Path dir, String... args) throws Exception {
        var cmd = new ArrayList<String>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        var p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + String.join(" ", args) + ": " + out);
    }

    @Test
    void afterASentinelFailoverEveryReadlogWritesAndReadsAgainAndNothingSentAfterIsLost() throws Exception {
        var primary = redis("--appendonly", "no");
        var replica = redis("--replicaof", "127.0.0.1", String.valueOf(primary.port));
        var sentinels = new ArrayList<String>();
        for (int i = 0; i < 3; i++) {
            int port = RedisServer.freePort();
            var conf = Files.createDirectories(dir.resolve("sentinel-" + i)).resolve("sentinel.conf");
            Files.writeString(conf, "port " + port + "\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 " + primary.port + " 2\n"
                    + "sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 5000\n"
                    + "dir " + conf.getParent() + "\nlogfile " + conf.getParent().resolve("sentinel.log") + "\n");
            var p = new ProcessBuilder("redis-sentinel", conf.toString()).redirectErrorStream(true)
                    .redirectOutput(conf.getParent().resolve("out").toFile()).start();
            running.add(() -> {
                p.destroyForcibly();
                p.waitFor();
            });
            sentinels.add("127.0.0.1:" + port);
        }
        try (var jedis = replica.client()) {
            Launchers.await(Duration.ofSeconds(30), "the replica in sync", () -> jedis.info("replication").contains("master_link_status:up"));
        }
        var args = new String[] {"--cluster", primary.url(), "--cluster-sentinel", String.join(",", sentinels), "--cluster-master", "mymaster",
                "--cluster-primaries", "127.0.0.1"};
        var a = new Host("pop-a", true, args).start();
        var c = new Host("smtp-c", false, args).start();
        a.login("192.0.2.80", "before");
        c.awaitGranted("192.0.2.80");

        primary.kill();
        Launchers.await(Duration.ofSeconds(60), "the replica promoted", () -> {
            try (var jedis = replica.client()) {
                return jedis.info("replication").contains("role:master");
            } catch (RuntimeException e) {
                return false; // the sentinels close clients while they reconfigure it
            }
        });
        for (int i = 81; i <= 85; i++) {
            a.login("192.0.2." + i, "after" + i);
        }
        for (int i = 81; i <= 85; i++) {
            c.awaitGranted("192.0.2." + i);
        }
        assertEquals("", c.relaylock("192.0.2.85"));
        assertTrue(c.relaylock("192.0.2.80") != null, "the grant from before the failover is kept");
    }

    /** A throwaway CA in {@code pki} ({@code NAME.crt}, {@code NAME.key}) and, when {@code server} is given, a certificate it signed for 127.0.0.1. */
    private static Path ca(Path pki, String name, String server) throws Exception {
        Files.createDirectories(pki);
        openssl(pki, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + name, "-keyout", name + ".key", "-out",
                name + ".crt");
        if (server != null) {
            openssl(pki, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", server + ".key", "-out", server + ".csr");
            Files.writeString(pki.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
            openssl(pki, "x509", "-req", "-in", server + ".csr", "-CA", name + ".crt", "-CAkey", name + ".key", "-CAcreateserial", "-days", "1",
                    "-extfile", "san.ext", "-out", server + ".crt");
        }
        return pki.resolve(name + ".crt");
    }

    /** A private redis-sentinel with {@code config} (its port, dir and log file added), started and listening; its port. */
    private int sentinel(String config) throws Exception {
        int port = RedisServer.freePort();
        var home = Files.createDirectories(dir.resolve("sentinel-" + port));
        var conf = Files.writeString(home.resolve("sentinel.conf"), config.replace("PORT", String.valueOf(port)) + "\nbind 127.0.0.1\ndir " + home
                + "\nlogfile " + home.resolve("sentinel.log") + "\n");
        var p = new ProcessBuilder("redis-sentinel", conf.toString()).redirectErrorStream(true).redirectOutput(home.resolve("out").toFile()).start();
        running.add(() -> {
            p.destroyForcibly();
            p.waitFor();
        });
        Launchers.await(Duration.ofSeconds(20), "redis-sentinel on port " + port, () -> {
            try {
                if (!p.isAlive()) {
                    throw new AssertionError("redis-sentinel exited: " + Files.readString(home.resolve("out")));
                }
            } catch (IOException e) {
                throw new AssertionError("redis-sentinel exited, its output unreadable: " + e.getMessage());
            }
            try (var socket = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        return port;
    }

    @Test
    void sentinelsWithAPasswordAndTlsNameThePrimaryOnlyToReadlogsGivingTheirPasswordAndTrustingTheClustersCa() throws Exception {
        var pki = dir.resolve("pki");
        var ca = ca(pki, "ca", "redis").toString();
        var otherCa = ca(dir.resolve("other-pki"), "other", null).toString();
        int tlsPort = RedisServer.freePort();
        var tls = new String[] {"--tls-cert-file", pki.resolve("redis.crt").toString(), "--tls-key-file", pki.resolve("redis.key").toString(),
                "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"};
        var primary = new ArrayList<>(List.of("--port", "0", "--tls-port", String.valueOf(tlsPort)));
        primary.addAll(List.of(tls));
        var redis = redis(primary.toArray(String[]::new));
        int sentinel = sentinel("port 0\ntls-port PORT\n" + String.join("\n", List.of("tls-cert-file " + tls[1], "tls-key-file " + tls[3],
                "tls-ca-cert-file " + ca, "tls-auth-clients no", "tls-replication yes", "requirepass sentinel-secret",
                "sentinel monitor mymaster 127.0.0.1 " + tlsPort + " 1")));
        var password = Files.writeString(dir.resolve("sentinel.pw"), "sentinel-secret\n").toString();
        var wrong = Files.writeString(dir.resolve("wrong.pw"), "not-the-pw-42\n").toString();
        var url = "rediss://127.0.0.1:" + tlsPort + "/0";
        Function<List<String>, String[]> with = more -> {
            var all = new ArrayList<>(List.of("--cluster", url, "--cluster-sentinel", "127.0.0.1:" + sentinel, "--cluster-master", "mymaster",
                    "--cluster-primaries", "127.0.0.1:" + tlsPort));
            all.addAll(more);
            return all.toArray(String[]::new);
        };
        var a = new Host("pop-a", true, with.apply(List.of("--cluster-ca", ca, "--cluster-sentinel-password-file", password))).start();
        var c = new Host("smtp-c", false, with.apply(List.of("--cluster-ca", ca, "--cluster-sentinel-password-file", password))).start();
        var noPassword = new Host("no-password", true, with.apply(List.of("--cluster-ca", ca))).start();
        var guesser = new Host("guesser", true, with.apply(List.of("--cluster-ca", ca, "--cluster-sentinel-password-file", wrong))).start();
        var strangerCa = new Host("stranger-ca", true, with.apply(List.of("--cluster-ca", otherCa, "--cluster-sentinel-password-file", password)))
                .start();

        a.login("192.0.2.90", "alice");
        c.awaitGranted("192.0.2.90"); // found through the sentinel, over TLS, with its password
        assertEquals("", c.relaylock("192.0.2.90"));

        var refused = Map.of(noPassword, "192.0.2.91", guesser, "192.0.2.92", strangerCa, "192.0.2.93");
        for (var host : refused.keySet()) {
            host.login(refused.get(host), "someone");
        }
        noPassword.awaitSays("lost: no sentinel named an allowed primary: 127.0.0.1:" + sentinel + ": wrong user or password (NOAUTH");
        guesser.awaitSays("lost: no sentinel named an allowed primary: 127.0.0.1:" + sentinel + ": wrong user or password (WRONGPASS");
        strangerCa.awaitSays("lost: no sentinel named an allowed primary: 127.0.0.1:" + sentinel + ": TLS certificate not trusted");
        for (var host : refused.keySet()) {
            host.awaitGranted(refused.get(host)); // local work goes on
            assertEquals(1, host.lines(" lost: "), "one line, not one per retry: " + host.err.soFar());
            assertFalse(host.err.soFar().contains("sentinel-secret") || host.err.soFar().contains("not-the-pw-42"), "no password in any message");
        }
        a.login("192.0.2.94", "erin");
        c.awaitGranted("192.0.2.94");
        for (var ip : refused.values()) {
            assertFalse(Launchers.publishedIps(c.db).contains(ip), ip + " came from a host that could not reach the primary");
        }
    }

    @Test
    void aSentinelNamingAServerOutsideTheAllowedPrimariesIsRefusedInOneLineAndAnHonestOneIsAskedNext() throws Exception {
        var good = redis();
        var rogue = redis();
        // Both sentinels know readlog's ACL user: the lying one holds valid credentials, as a compromised sentinel would.
        var acl = "user default off\nuser poplock on >watch-secret -@all +auth +hello +ping +sentinel|get-master-addr-by-name\n";
        int lying = sentinel("port PORT\n" + acl + "sentinel monitor mymaster 127.0.0.1 " + rogue.port + " 1");
        int honest = sentinel("port PORT\n" + acl + "sentinel monitor mymaster 127.0.0.1 " + good.port + " 1");
        var password = Files.writeString(dir.resolve("sentinel.pw"), "watch-secret\n").toString();
        var allowed = "127.0.0.1:" + good.port;
        Function<String, String[]> asking = sentinels -> new String[] {"--cluster", good.url(), "--cluster-sentinel", sentinels,
                "--cluster-master", "mymaster", "--cluster-primaries", allowed, "--cluster-sentinel-user", "poplock",
                "--cluster-sentinel-password-file", password};
        var fooled = new Host("pop-f", true, asking.apply("127.0.0.1:" + lying)).start();
        var a = new Host("pop-a", true, asking.apply("127.0.0.1:" + lying + ",127.0.0.1:" + honest)).start();
        var c = new Host("smtp-c", false, asking.apply("127.0.0.1:" + honest)).start();

        fooled.login("192.0.2.95", "mallory");
        fooled.awaitGranted("192.0.2.95");
        fooled.awaitSays(" lost: no sentinel named an allowed primary: 127.0.0.1:" + lying + ": named 127.0.0.1:" + rogue.port
                + " as primary, which --cluster-primaries [" + allowed + "] does not allow: refused");
        assertEquals(1, fooled.lines(" lost: "), fooled.err.soFar());
        a.login("192.0.2.96", "alice");
        c.awaitGranted("192.0.2.96"); // a, told the rogue server by the first sentinel, asked the next
        assertEquals(0, a.lines(" lost: "), a.err.soFar());
        assertFalse(Launchers.publishedIps(c.db).contains("192.0.2.95"));
        try (var jedis = rogue.client()) {
            assertEquals(0, jedis.dbSize(), "the server the sentinel named got nothing: " + jedis.keys("*"));
        }
    }

    @Test
    void redissWithoutItsCaAndSentinelsWithoutTheServersTheyMayNameAreEachOneLineAtTheStart() throws Exception {
        var db = dir.resolve("relay.db").toString();
        var noCa = Launchers.run("readlog", Map.of(), "--db", db, "--cluster", "rediss://127.0.0.1:6380/0");
        assertEquals(2, noCa.exit(), noCa.err());
        assertEquals("readlog: --cluster rediss://127.0.0.1:6380/0 needs --cluster-ca FILE: the CA that signed the cluster's Redis and"
                + " sentinel certificates (public CAs are not trusted)\n", noCa.err());
        var conf = Files.writeString(dir.resolve("poplock.conf"), "cluster = redis://127.0.0.1:6379/0\ncluster-sentinel = 127.0.0.1:26379\n"
                + "cluster-master = mymaster\ncluster-primaries = 10.0.0.0/33\n");
        var badNetwork = Launchers.run("readlog", Map.of("POPLOCK_CONFIG", conf.toString()), "--db", db);
        assertEquals(2, badNetwork.exit(), badNetwork.err());
        assertEquals("readlog: --cluster-primaries 10.0.0.0/33: bad prefix length in \"10.0.0.0/33\"\n", badNetwork.err());
        var none = Launchers.run("readlog", Map.of(), "--db", db, "--cluster", "redis://127.0.0.1:6379/0", "--cluster-sentinel", "127.0.0.1:26379",
                "--cluster-master", "mymaster");
        assertEquals(2, none.exit(), none.err());
        assertTrue(none.err().startsWith("readlog: --cluster-sentinel needs --cluster-primaries ") && none.err().lines().count() == 1, none.err());
    }

    /** A policy request as Postfix sends it at RCPT, on a connection of its own; the reply without its empty line. */
    private static String rcpt(int port, String ip) throws Exception {
        try (var s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=" + ip
                    + "\ninstance=1.2.3\nrecipient=b@example.net\n\n").getBytes(StandardCharsets.US_ASCII));
            var in = s.getInputStream();
            var reply = new StringBuilder();
            for (int b; !reply.toString().endsWith("\n\n") && (b = in.read()) >= 0; ) {
                reply.append((char) b);
            }
            return reply.toString().strip();
        }
    }

    /**
     * Two SMTP hosts share one budget through Redis: recipients relayed through either count
     * against the same 10, and showallowed on each shows the cluster's count; with Redis gone each host counts its own, says so once, and relays on.
     */
    @Test
    void twoSmtpHostsShareOneRecipientBudgetAndARedisOutageFallsBackToEachHostsOwnCount() throws Exception {
        var redis = redis();
        int portC = RedisServer.freePort();
        int portD = RedisServer.freePort();
        var a = new Host("pop-a", true, "--cluster", redis.url()).start();
        var c = new Host("smtp-c", false, "--cluster", redis.url(), "--policy", "inet:127.0.0.1:" + portC,
                "--budget-recipients-per-grant", "10").start();
        var d = new Host("smtp-d", false, "--cluster", redis.url(), "--policy", "inet:127.0.0.1:" + portD,
                "--budget-recipients-per-grant", "10").start();
        a.login("203.0.113.9", "alice");
        c.awaitGranted("203.0.113.9");
        d.awaitGranted("203.0.113.9");
        for (int i = 1; i <= 10; i++) {
            assertEquals("action=OK", rcpt(i % 2 == 0 ? portC : portD, "203.0.113.9"), "recipient " + i + " within the budget");
        }
        var over = rcpt(portC, "203.0.113.9");
        assertTrue(over.startsWith("action=DEFER_IF_REJECT 4.7.1 "), "the 11th, five after smtp-c's own fifth: " + over);
        assertTrue(rcpt(portD, "203.0.113.9").startsWith("action=DEFER_IF_REJECT 4.7.1 "), "and on smtp-d");
        c.awaitSays("203.0.113.9 is over its budget of 10 recipients per hour");
        // Each host lists the cluster's count as Redis last gave it to that host, not its own six.
        Launchers.await(Duration.ofSeconds(20), "smtp-c listing the cluster's 11",
                () -> ReadlogProcess.listing(c.db).lines().anyMatch(l -> l.startsWith("203.0.113.9 ") && l.contains(" budget 11/10 over until ")));
        Launchers.await(Duration.ofSeconds(20), "smtp-d listing the cluster's 12",
                () -> ReadlogProcess.listing(d.db).lines().anyMatch(l -> l.startsWith("203.0.113.9 ") && l.contains(" budget 12/10 over until ")));
        System.out.println("cluster: smtp-c: " + over);
        System.out.println("cluster: showallowed on smtp-c: " + ReadlogProcess.listing(c.db).lines().filter(l -> l.startsWith("203.0.113.9 ")).toList());
        System.out.println("cluster: showallowed on smtp-d: " + ReadlogProcess.listing(d.db).lines().filter(l -> l.startsWith("203.0.113.9 ")).toList());
        redis.kill();
        assertEquals("action=OK", rcpt(portD, "203.0.113.9"), "alone, smtp-d counts its own seven");
        d.awaitSays("each host counts its own recipients");
        assertEquals(1, d.lines("do not answer"), "one line for the outage");
    }

    /**
     * A user's networks are one count across the POP hosts: two on pop-a and two on pop-b make
     * four, over a limit of three, though neither host saw more than two of its own. The flag ends
     * the user's grants on every host; pop-a refuses the user's next login; the admin's --unflag
     * on pop-a lifts the flag on pop-b too. A host that joins later learns the flag from its key.
     */
    @Test
    void aUsersNetworksAreCountedAcrossThePopHostsAndTheFlagAndItsLiftingReachEveryHost() throws Exception {
        var redis = redis();
        var a = new Host("pop-a", true, "--cluster", redis.url(), "--flag-networks", "3").start();
        var b = new Host("pop-b", true, "--cluster", redis.url(), "--flag-networks", "3").start();
        var c = new Host("smtp-c", false, "--cluster", redis.url(), "--flag-networks", "3").start();
        a.login("192.0.2.7", "mallory");
        a.login("198.51.100.7", "mallory");
        b.awaitGranted("192.0.2.7");
        b.awaitGranted("198.51.100.7");
        b.login("203.0.113.7", "mallory");
        c.awaitGranted("203.0.113.7");
        assertEquals(0, a.lines("flagged") + b.lines("flagged"), "three networks: within the limit");
        b.login("192.0.3.7", "mallory");
        b.awaitSays("flagged mallory: logins from more than 3 networks within an hour");
        a.awaitSays("flagged mallory: cluster host pop-b flagged it");
        for (var host : List.of(a, b, c)) {
            for (var ip : List.of("192.0.2.7", "198.51.100.7", "203.0.113.7")) {
                host.awaitNot(ip);
            }
        }
        assertTrue(showallowed(a).lines().anyMatch(l -> l.startsWith("mallory ")), "pop-a lists the flag: " + showallowed(a));
        try (var jedis = redis.client()) {
            assertTrue(jedis.get("poplock:flag:mallory").endsWith(" pop-b"), "the flag's key, for hosts that catch up from the keys");
        }
        var late = new Host("pop-late", true, "--cluster", redis.url(), "--flag-networks", "3").start();
        late.awaitSays("flagged mallory: cluster host pop-b flagged it");

        a.login("192.0.2.7", "mallory");
        a.login("192.0.2.9", "alice");
        c.awaitGranted("192.0.2.9");
        assertFalse(Launchers.publishedIps(c.db).contains("192.0.2.7"), "pop-a gives the flagged user no grant");

        var unflag = Launchers.run("showallowed", Map.of(), "--db", a.db.toString(), "--unflag", "mallory");
        assertEquals(0, unflag.exit(), unflag.err());
        b.awaitSays("cluster: unflagged mallory as cluster host pop-a did");
        late.awaitSays("cluster: unflagged mallory as cluster host pop-a did");
        try (var jedis = redis.client()) {
            assertFalse(jedis.exists("poplock:flag:mallory"), "the lifting took the key");
        }
        b.login("192.0.2.7", "mallory");
        c.awaitGranted("192.0.2.7");
        assertEquals(1, b.lines("flagged mallory: "), "lifted: no flag again for a known network");
        for (var host : List.of(a, b, late)) {
            host.err.soFar().lines().filter(l -> l.contains("flagged mallory")).forEach(l -> System.out.println("cluster: " + host.name + ": " + l));
        }
    }

    /**
     * An SMTP host with the read-only Redis user of docs/cluster.md counts a user's networks from
     * the POP hosts' grants and flags the user itself: it ends the grants here and sends nothing
     * (it may not write), so its link stays up and later grants still reach it.
     */
    @Test
    void anSmtpHostThatMayNotWriteFlagsAUserFromTheGrantsItHearsOfAndSendsNothing() throws Exception {
        var redis = redisWithUsers();
        var popPassword = dir.resolve("pop.pw");
        var smtpPassword = dir.resolve("smtp.pw");
        var a = new Host("pop-a", true, "--cluster", redis.url(), "--cluster-user", "pop", "--cluster-password-file", popPassword.toString(),
                "--flag-networks", "0").start();
        var c = new Host("smtp-c", false, "--cluster", redis.url(), "--cluster-user", "smtp", "--cluster-password-file", smtpPassword.toString(),
                "--flag-networks", "3").start();
        for (var ip : List.of("192.0.2.7", "198.51.100.7", "203.0.113.7", "192.0.3.7")) {
            a.login(ip, "mallory");
        }
        c.awaitSays("flagged mallory: logins from more than 3 networks within an hour across the cluster");
        c.awaitNot("192.0.2.7");
        a.login("192.0.2.60", "alice");
        c.awaitGranted("192.0.2.60");
        assertEquals(0, c.lines("refused by its ACL"), "smtp-c sent nothing: " + c.err.soFar());
        assertEquals(0, c.lines("lost"), c.err.soFar());
    }
}
