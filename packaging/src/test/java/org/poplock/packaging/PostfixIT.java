package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A private Postfix instance from Debian's package (its own config, queue and log under the
 * test's directory, smtpd on a loopback high port) asking readlog's policy service, as the README
 * documents it: check_policy_service before reject_unauth_destination, on loopback; and on a unix
 * socket in the directory the package makes inside Postfix's chroot, with smtpd chrooted as
 * Debian ships it. swaks is the client, from two loopback sources: one that logs in, one that never does.
 */
class PostfixIT {

    @TempDir
    Path tmp;

    private Path instance;
    private int smtpPort;
    private int policyPort;
    private Process readlog;
    private Launchers.StreamText err;

    @BeforeEach
    void prepare() throws Exception {
        // The daemons run as postfix, readlog as nobody: the instance must be reachable through its parents.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        instance = Files.createDirectories(tmp.resolve("postfix"));
        smtpPort = RedisServer.freePort();
        policyPort = RedisServer.freePort();
        Files.createDirectories(instance.resolve("queue"));
        Files.writeString(tmp.resolve("mail.log"), "");
    }

    /** Starts the instance, its smtpd asking {@code policyService} (as check_policy_service names it) with the services of {@code masterCf}. */
    private void startPostfix(String policyService, String masterCf) throws Exception {
        // As the README says: the policy service first, then the relay check; readlog away means DUNNO.
        startPostfixAsking("check_policy_service { " + policyService + ", timeout=5s, try_limit=1, default_action=DUNNO },", masterCf);
    }

    /** Starts the instance, {@code restriction} between permit_mynetworks and reject_unauth_destination. */
    private void startPostfixAsking(String restriction, String masterCf) throws Exception {
        var data = Files.createDirectories(instance.resolve("data"));
        run(Map.of(), "chown", "postfix", data.toString());
        Files.writeString(instance.resolve("main.cf"), String.join("\n",
                "compatibility_level = 3.6",
                "queue_directory = " + instance.resolve("queue"),
                "data_directory = " + data,
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = mx.local.test",
                "mydomain = local.test",
                "mydestination = local.test",
                // Postfix's default mynetworks holds loopback, which would let the loopback clients relay without poplock.
                "mynetworks = 192.0.2.1/32",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "maillog_file_prefixes = " + tmp,
                "maillog_file = " + instance.resolve("postfix.log"),
                "local_transport = discard",
                "default_transport = discard",
                "alias_maps =",
                "local_recipient_maps =",
                "alias_database =",
                "biff = no",
                "smtpd_relay_restrictions =",
                "    permit_mynetworks,",
                "    " + restriction,
                "    reject_unauth_destination",
                ""));
        Files.writeString(instance.resolve("master.cf"), masterCf);
        // What Debian's postfix.service runs before every start: for a chrooted master.cf, copies
        // what the chroot needs (etc/services, etc/resolv.conf, the NSS libraries, ...) into the queue.
        run(Map.of("MAIL_CONFIG", instance.toString()), "/usr/lib/postfix/configure-instance.sh", "-");
        run(Map.of(), "postfix", "-c", instance.toString(), "start");
        Launchers.await(Duration.ofSeconds(30), "Postfix's smtpd", () -> {
            try (var s = new java.net.Socket("127.0.0.1", smtpPort)) {
                return true;
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    /** Every service unchrooted, smtpd on the test's port. */
    private String plainMasterCf() {
        return String.join("\n",
                "127.0.0.1:" + smtpPort + " inet n - n - - smtpd",
                "pickup unix n - n 60 1 pickup",
                "cleanup unix n - n - 0 cleanup",
                "qmgr unix n - n 300 1 qmgr",
                "rewrite unix - - n - - trivial-rewrite",
                "bounce unix - - n - 0 bounce",
                "defer unix - - n - 0 bounce",
                "trace unix - - n - 0 bounce",
                "verify unix - - n - 1 verify",
                "flush unix n - n 1000? 0 flush",
                "proxymap unix - - n - - proxymap",
                "smtp unix - - n - - smtp",
                "relay unix - - n - - smtp",
                "showq unix n - n - - showq",
                "error unix - - n - - error",
                "retry unix - - n - - error",
                "discard unix - - n - - discard",
                "local unix - n n - - local",
                "anvil unix - - n - 1 anvil",
                "scache unix - - n - 1 scache",
                "postlog unix-dgram n - n - 1 postlogd",
                "");
    }

    /**
     * Debian's own master.cf (smtpd and most services chrooted in the queue directory), smtpd moved to
     * the test's port; and the chroot filled as Debian's scripts fill it before every start.
     */
    private String debianMasterCf() throws Exception {
        var shipped = Files.readString(Path.of("/usr/share/postfix/master.cf.dist"));
        var smtpd = java.util.regex.Pattern.compile("(?m)^smtp(\\s+inet\\s+n\\s+-\\s+y\\s+-\\s+-\\s+smtpd)$").matcher(shipped);
        assertTrue(smtpd.find(), "Debian's master.cf runs smtpd chrooted: " + shipped);
        return smtpd.replaceFirst("127.0.0.1:" + smtpPort + "$1");
    }

    @AfterEach
    void stopAll() throws Exception {
        if (readlog != null) {
            readlog.destroyForcibly();
            readlog.waitFor();
        }
        new ProcessBuilder("postfix", "-c", instance.toString(), "abort").inheritIO().start().waitFor();
    }

    private static void run(Map<String, String> env, String... cmd) throws Exception {
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        var p = pb.start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
    }

    private void startReadlog(String... more) throws Exception {
        var pb = Launchers.command("readlog", Map.of(), "--log", tmp.resolve("mail.log").toString(), "--db", tmp.resolve("relay.db").toString(),
                "--policy", "inet:127.0.0.1:" + policyPort);
        pb.command().addAll(List.of(more.length == 0 ? new String[] {"--timeout", "4s"} : more));
        readlog = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog's policy service", () -> err.soFar().contains("answering policy"));
    }

    record Dialogue(String rcptReply, long millis) {
    }

    /** swaks from {@code source} to Postfix, up to RCPT TO {@code to}: the reply to RCPT and how long the dialogue took. */
    private Dialogue rcpt(String source, String to) throws Exception {
        return rcpt(source, "a@example.com", to);
    }

    /** As {@link #rcpt(String, String)}, with the envelope sender {@code from}. */
    private Dialogue rcpt(String source, String from, String to) throws Exception {
        long start = System.nanoTime();
        var p = new ProcessBuilder("swaks", "--server", "127.0.0.1:" + smtpPort, "--local-interface", source, "--from", from,
                "--to", to, "--quit-after", "RCPT", "--timeout", "30").redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        long millis = (System.nanoTime() - start) / 1_000_000;
        var lines = out.lines().filter(l -> l.startsWith("<-") || l.startsWith("<**")).toList();
        var reply = lines.size() >= 2 ? lines.get(lines.size() - 2) : out; // the last is QUIT's 221
        return new Dialogue(reply, millis);
    }

    /** Waits until Postfix answers a RCPT from {@code ip} with {@code reply} (the grant or its end has reached it). */
    private void awaitRcpt(String ip, String reply, String what) throws InterruptedException {
        Launchers.await(Duration.ofSeconds(20), what, () -> {
            try {
                return rcpt(ip, "b@example.net").rcptReply().contains(reply);
            } catch (Exception e) {
                return false;
            }
        });
    }

    private void login(String ip) throws Exception {
        login(ip, "alice");
    }

    private void login(String ip, String user) throws Exception {
        Files.writeString(tmp.resolve("mail.log"), Dovecot.login(Instant.now(), "pop3", ip, user), StandardOpenOption.APPEND);
    }

    /**
     * --policy-sender login: a grant relays the senders of the users who logged in from the
     * address (login@--sender-domain, the map), no other; a second user behind the same address
     * relays with their own.
     */
    @Test
    void withSenderBindingTheLoggedInUsersSendersRelayAndNoOtherFromTheSameAddress() throws Exception {
        startPostfix("inet:127.0.0.1:" + policyPort, plainMasterCf());
        var map = Files.writeString(tmp.resolve("senders"), "# shared mailboxes\nsales@example.com  alice, carol\n");
        readlog = Launchers.command("readlog", Map.of(), "--log", tmp.resolve("mail.log").toString(), "--db", tmp.resolve("relay.db").toString(),
                "--timeout", "60s", "--policy", "inet:127.0.0.1:" + policyPort, "--policy-sender", "login", "--sender-domain", "example.com",
                "--sender-login-map", map.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog's policy service", () -> err.soFar().contains("answering policy"));
        login("127.0.0.2", "alice");
        Launchers.await(Duration.ofSeconds(20), "alice's sender relays after her login", () -> {
            try {
                return rcpt("127.0.0.2", "alice@example.com", "b@example.net").rcptReply().contains("250 2.1.5");
            } catch (Exception e) {
                return false;
            }
        });
        var other = rcpt("127.0.0.2", "bob@example.com", "b@example.net");
        System.out.println("postfix: bob's sender from alice's address: " + other.rcptReply());
        assertTrue(other.rcptReply().contains("554 5.7.1"), "another sender from the same address: " + other);
        assertTrue(rcpt("127.0.0.2", "sales@example.com", "b@example.net").rcptReply().contains("250 2.1.5"), "the map gives alice sales@");
        assertTrue(rcpt("127.0.0.2", "<>", "b@example.net").rcptReply().contains("554 5.7.1"), "the bounce sender does not relay");
        assertTrue(rcpt("127.0.0.2", "bob@example.com", "b@local.test").rcptReply().contains("250 2.1.5"), "local mail is accepted");
        Launchers.await(Duration.ofSeconds(10), "the mismatch said", () -> err.soFar().contains("127.0.0.2: sender <bob@example.com> not bound to alice"));
        login("127.0.0.2", "bob");
        Launchers.await(Duration.ofSeconds(20), "bob's sender relays after his own login from the same address", () -> {
            try {
                return rcpt("127.0.0.2", "bob@example.com", "b@example.net").rcptReply().contains("250 2.1.5");
            } catch (Exception e) {
                return false;
            }
        });
        assertTrue(rcpt("127.0.0.2", "alice@example.com", "b@example.net").rcptReply().contains("250 2.1.5"), "alice's still relays");
        assertTrue(rcpt("127.0.0.2", "carol@example.com", "b@example.net").rcptReply().contains("554 5.7.1"), "carol did not log in");
        // The map read again on SIGHUP: bob now owns sales@ as well.
        Files.writeString(map, "sales@example.com  bob\n");
        assertTrue(rcpt("127.0.0.2", "sales@example.com", "b@example.net").rcptReply().contains("250 2.1.5"));
        Files.writeString(map, "sales@example.com  carol\n");
        Launchers.signal(readlog, "HUP");
        Launchers.await(Duration.ofSeconds(20), "the map reloaded: sales@ is carol's alone", () -> {
            try {
                return rcpt("127.0.0.2", "sales@example.com", "b@example.net").rcptReply().contains("554 5.7.1");
            } catch (Exception e) {
                return false;
            }
        });
        Files.writeString(map, "sales@example.com\n");
        Launchers.signal(readlog, "HUP");
        Launchers.await(Duration.ofSeconds(20), "a bad map named with its line", () -> err.soFar().contains("reload failed, keeping the running configuration: "
                + map + ":1: "));
    }

    /**
     * Through the real Postfix: an address a third user logs in from is shared, and its grant is
     * cut to --shared-timeout; a user seen from a fourth network within the hour is flagged, and
     * the grant of their earlier login ends at once; the admin's --unflag lets them relay again.
     */
    @Test
    void aSharedAddressGetsAShortGrantAndAFlaggedUsersGrantEndsAtOnce() throws Exception {
        startPostfix("inet:127.0.0.1:" + policyPort, plainMasterCf());
        startReadlog("--timeout", "60s", "--shared-users", "2", "--shared-timeout", "6s", "--flag-networks", "3");
        login("127.0.0.2", "alice");
        login("127.0.0.2", "bob");
        login("127.0.0.2", "carol");
        Launchers.await(Duration.ofSeconds(10), "the shared line", () -> err.soFar().contains("127.0.0.2 is shared: 3 users logged in from it"));
        awaitRcpt("127.0.0.2", "554 5.7.1", "the shared address's grant ends after 6 s, not 60");
        System.out.println("postfix: 127.0.0.2 shared by 3 users, after --shared-timeout 6s: " + rcpt("127.0.0.2", "b@example.net").rcptReply());

        login("127.0.0.4", "mallory");
        awaitRcpt("127.0.0.4", "250 2.1.5", "mallory relays after her login");
        login("192.0.2.7", "mallory");
        login("198.51.100.7", "mallory");
        login("203.0.113.7", "mallory");
        awaitRcpt("127.0.0.4", "554 5.7.1", "flagged: her grant ends at once");
        System.out.println("postfix: mallory flagged (4 networks within the hour): " + rcpt("127.0.0.4", "b@example.net").rcptReply());
        assertTrue(err.soFar().contains("flagged mallory: logins from more than 3 networks within an hour"), err.soFar());
        login("127.0.0.4", "mallory");
        assertTrue(rcpt("127.0.0.4", "b@example.net").rcptReply().contains("554 5.7.1"), "a login while flagged grants nothing");
        var unflag = Launchers.run("showallowed", Map.of(), "--db", tmp.resolve("relay.db").toString(), "--unflag", "mallory");
        assertEquals(0, unflag.exit(), unflag.err());
        login("127.0.0.4", "mallory");
        awaitRcpt("127.0.0.4", "250 2.1.5", "unflagged: her next login relays");
    }

    @Test
    void relayIsRefusedBeforeALoginAcceptedAfterItAndRefusedAgainAfterTheTimeout() throws Exception {
        startPostfix("inet:127.0.0.1:" + policyPort, plainMasterCf());
        startReadlog();
        assertTrue(rcpt("127.0.0.2", "b@example.net").rcptReply().contains("554 5.7.1"), "no relay before a login");
        login("127.0.0.2");
        awaitRcpt("127.0.0.2", "250 2.1.5", "relay accepted after the login");
        assertTrue(rcpt("127.0.0.3", "b@example.net").rcptReply().contains("554 5.7.1"), "another client may not relay");
        awaitRcpt("127.0.0.2", "554 5.7.1", "relay refused again after the 4 s timeout");
    }

    @Test
    void withReadlogHungOrKilledRelayIsRefusedLocalMailAcceptedAndNobodyWaitsPastTheTimeout() throws Exception {
        startPostfix("inet:127.0.0.1:" + policyPort, plainMasterCf());
        startReadlog();
        login("127.0.0.2");
        awaitRcpt("127.0.0.2", "250 2.1.5", "relay accepted");
        // Overloaded or hung: it takes the connection and never answers.
        Launchers.signal(readlog, "STOP");
        var hung = rcpt("127.0.0.2", "b@example.net");
        System.out.println("postfix: readlog hung (SIGSTOP): RCPT answered in " + hung.millis() + " ms: " + hung.rcptReply());
        assertTrue(hung.rcptReply().contains("554 5.7.1"), "worst case: no relay: " + hung);
        assertTrue(hung.millis() < 8_000, "Postfix waited its 5 s policy timeout, not longer: " + hung.millis() + " ms");
        var local = rcpt("127.0.0.3", "b@local.test");
        assertTrue(local.rcptReply().contains("250 2.1.5"), "local mail is accepted: " + local);
        Launchers.signal(readlog, "CONT");
        // Killed: refused at once.
        readlog.destroyForcibly();
        readlog.waitFor();
        var gone = rcpt("127.0.0.2", "b@example.net");
        System.out.println("postfix: readlog killed: RCPT answered in " + gone.millis() + " ms: " + gone.rcptReply());
        assertTrue(gone.rcptReply().contains("554 5.7.1"), gone.toString());
        assertTrue(rcpt("127.0.0.3", "b@local.test").rcptReply().contains("250 2.1.5"));
        assertTrue(gone.millis() < 15_000, gone.millis() + " ms");
        var log = Files.readString(instance.resolve("postfix.log"));
        assertTrue(log.contains("problem talking to server 127.0.0.1:" + policyPort), "Postfix said why it fell back to DUNNO: " + log);
    }
    /**
     * Postfix's socketmap table, as docs/sendmail.md shows it: {@code check_client_access} on
     * readlog's {@code --socketmap} unix socket (group postfix), and {@code postmap -q} on the same
     * table.
     */
    @Test
    void aSocketmapTableLetsAGrantedClientRelayUntilTheTimeoutAndPostmapFindsItsAddress() throws Exception {
        var socket = tmp.resolve("socketmap");
        var table = "socketmap:unix:" + socket + ":poplock";
        startPostfixAsking("check_client_access " + table + ",", plainMasterCf());
        readlog = Launchers.command("readlog", Map.of(), "--log", tmp.resolve("mail.log").toString(), "--db", tmp.resolve("relay.db").toString(),
                "--timeout", "6s", "--socketmap", "unix:" + socket, "--socketmap-value", "OK", "--socketmap-group", "postfix")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog's socketmap", () -> err.soFar().contains("socketmap lookups on"));
        assertEquals("exit 1: ", postmap("127.0.0.2", table), "not found before a login");
        assertTrue(rcpt("127.0.0.2", "b@example.net").rcptReply().contains("554 5.7.1"), "no relay before a login");
        login("127.0.0.2");
        Launchers.await(Duration.ofSeconds(10), "postmap -q finds the grant", () -> postmap("127.0.0.2", table).equals("exit 0: OK"));
        System.out.println("postfix: postmap -q 127.0.0.2 " + table + ": " + postmap("127.0.0.2", table));
        System.out.println("postfix: postmap -q 127.0.0.3 " + table + ": " + postmap("127.0.0.3", table));
        assertEquals("exit 1: ", postmap("127.0.0.3", table));
        awaitRcpt("127.0.0.2", "250 2.1.5", "relay accepted after the login");
        assertTrue(rcpt("127.0.0.3", "b@example.net").rcptReply().contains("554 5.7.1"), "another client may not relay");
        assertTrue(rcpt("127.0.0.3", "b@local.test").rcptReply().contains("250 2.1.5"), "local mail is accepted");
        awaitRcpt("127.0.0.2", "554 5.7.1", "relay refused again after the 6 s timeout");
    }

    /** {@code postmap -q KEY TABLE} with this instance's main.cf: its exit status and what it printed. */
    private String postmap(String key, String table) {
        try {
            var p = new ProcessBuilder("postmap", "-c", instance.toString(), "-q", key, table).redirectErrorStream(true).start();
            var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            return "exit " + p.exitValue() + ": " + out;
        } catch (Exception e) {
            return e.toString();
        }
    }

    /**
     * The README's Debian recipe as installed: Postfix's smtpd chrooted in its queue directory as
     * Debian ships it, readlog as an unprivileged user (nobody here, poplock there: as root it would
     * hide every permission in the way) on a unix socket in the directory the package makes inside
     * the chroot, its settings from poplock.conf.
     */
    @Test
    void chrootedAsDebianShipsItRelayFollowsTheLoginsThatReadlogRunAsAnUnprivilegedUserAnswersOnItsUnixSocket() throws Exception {
        var setpriv = Path.of("/usr/bin/setpriv");
        Launchers.assumeOrInCiRequire(Files.isExecutable(setpriv), "needs setpriv to run readlog as nobody");
        var queue = instance.resolve("queue");
        // As the package's postinst makes /var/spool/postfix/poplock: readlog's user owns it, and its
        // set-group-ID bit gives every socket made in it the group postfix, of which readlog's user is no member.
        var socketDirectory = Files.createDirectories(queue.resolve("poplock"));
        run(Map.of(), "chown", "nobody:postfix", socketDirectory.toString());
        run(Map.of(), "chmod", "2750", socketDirectory.toString());
        startPostfix("unix:poplock/policy", debianMasterCf());

        var own = Files.createDirectories(tmp.resolve("readlog"));
        run(Map.of(), "chown", "nobody:nogroup", own.toString());
        var config = Files.writeString(tmp.resolve("poplock.conf"), String.join("\n",
                "log = " + tmp.resolve("mail.log"),
                "db = " + own.resolve("relay.db"),
                "timeout = 4s",
                "policy = unix:" + socketDirectory.resolve("policy"),
                ""));
        var pb = Launchers.command("readlog", Map.of("POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + own), "--config", config.toString());
        pb.command().addAll(0, Launchers.asNobody());
        readlog = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog's policy service", () -> err.soFar().contains("answering policy") || !readlog.isAlive());
        assertTrue(readlog.isAlive(), err.soFar());
        var socket = Files.readAttributes(socketDirectory.resolve("policy"), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertEquals("nobody", socket.owner().getName());
        assertEquals("postfix", socket.group().getName(), "the socket's group, from its directory");
        assertEquals("rw-rw----", PosixFilePermissions.toString(socket.permissions()));

        assertTrue(rcpt("127.0.0.2", "b@example.net").rcptReply().contains("554 5.7.1"), "no relay before a login");
        assertEquals(queue.toRealPath(), smtpdRoot(), "the smtpd that answered runs chrooted in the queue directory");
        login("127.0.0.2");
        awaitRcpt("127.0.0.2", "250 2.1.5", "relay accepted after the login");
        assertTrue(rcpt("127.0.0.3", "b@example.net").rcptReply().contains("554 5.7.1"), "another client may not relay");
        assertTrue(rcpt("127.0.0.3", "b@local.test").rcptReply().contains("250 2.1.5"), "local mail is accepted");
        var log = Files.readString(instance.resolve("postfix.log"));
        assertFalse(log.contains("problem talking to server"), "smtpd reached readlog from its chroot: " + log);
    }

    /** The root directory of this instance's smtpd, as the kernel has it. */
    private Path smtpdRoot() throws Exception {
        try (var procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (var proc : procs) {
                try {
                    var cmdline = Files.readString(proc.resolve("cmdline")).split("\0");
                    if (cmdline[0].equals("smtpd") && List.of(cmdline).contains("127.0.0.1:" + smtpPort)) {
                        return Files.readSymbolicLink(proc.resolve("root"));
                    }
                } catch (java.io.IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return null;
    }

    /** swaks from {@code source}: one message to each of {@code to}, up to the RCPTs; the reply to each RCPT in turn. */
    private List<String> rcptReplies(String source, List<String> to) throws Exception {
        var p = new ProcessBuilder("swaks", "--server", "127.0.0.1:" + smtpPort, "--local-interface", source, "--from", "a@example.com",
                "--to", String.join(",", to), "--quit-after", "RCPT", "--timeout", "30").redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        var replies = new ArrayList<String>();
        for (int i = 0; i + 1 < out.size(); i++) {
            if (out.get(i).contains("RCPT TO:")) {
                replies.add(out.get(i + 1));
            }
        }
        return replies;
    }

    /**
     * A budget of 10 recipients per 20 s window: a granted client's 11th recipient is deferred with
     * 4.7.1 (Postfix goes on to reject_unauth_destination, which DEFER_IF_REJECT turns into a
     * deferral), local mail still goes, and the next window relays again.
     */
    @Test
    void overItsRecipientBudgetAGrantIsDeferredWith471AndTheNextWindowRelaysAgain() throws Exception {
        startPostfix("inet:127.0.0.1:" + policyPort, plainMasterCf());
        long window = 20_000;
        startReadlog("--timeout", "10m", "--budget-recipients-per-grant", "10", "--budget-window", "20s");
        login("127.0.0.2");
        Launchers.await(Duration.ofSeconds(20), "the grant reaches the policy service", () -> {
            try {
                return rcptReplies("127.0.0.2", List.of("b@local.test")).get(0).contains("250 2.1.5");
            } catch (Exception e) {
                return false;
            }
        });
        awaitRcpt("127.0.0.2", "250 2.1.5", "relay accepted after the login");
        // The windows are cut from the epoch: begin early in the next one (the recipients above
        // counted in this one), so the eleven fall in the same.
        long warmUp = System.currentTimeMillis() / window;
        Launchers.await(Duration.ofSeconds(45), "the start of the next window",
                () -> System.currentTimeMillis() / window > warmUp && System.currentTimeMillis() % window < window / 4);
        var to = new ArrayList<String>();
        for (int i = 1; i <= 11; i++) {
            to.add("r" + i + "@example.net");
        }
        var replies = rcptReplies("127.0.0.2", to);
        System.out.println("postfix: 11 recipients on a budget of 10: " + replies);
        assertEquals(11, replies.size(), String.valueOf(replies));
        for (int i = 0; i < 10; i++) {
            assertTrue(replies.get(i).contains("250 2.1.5"), "recipient " + (i + 1) + " within budget: " + replies);
        }
        assertTrue(replies.get(10).contains("450 4.7.1"), "the 11th deferred: " + replies);
        assertTrue(rcpt("127.0.0.2", "b@local.test").rcptReply().contains("250 2.1.5"), "local mail still goes");
        Launchers.await(Duration.ofSeconds(10), "readlog's line", () -> err.soFar().contains("budget: 127.0.0.2 is over its budget of 10 recipients per 20 s"));
        awaitRcpt("127.0.0.2", "250 2.1.5", "the next window relays again");
        System.out.println("readlog: " + err.soFar().lines().filter(l -> l.contains("budget")).toList());
    }
}
