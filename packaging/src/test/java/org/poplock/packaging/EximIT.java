package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's Exim (exim4-daemon-light, unpacked by .ci/run: it conflicts with Postfix) with a
 * private configuration whose RCPT ACL asks readlog's policy service through ${readsocket}, as the
 * README documents it, driven by {@code exim -bh ADDRESS}: a whole SMTP dialogue from that address
 * through the ACLs, with no network and no delivery.
 */
class EximIT {

    @TempDir
    Path dir;

    private Process readlog;

    @AfterEach
    void stop() throws Exception {
        if (readlog != null) {
            readlog.destroyForcibly();
            readlog.waitFor();
        }
    }

    private Path exim() {
        var exim = System.getenv("POPLOCK_EXIM");
        assertTrue(exim != null && Files.isExecutable(Path.of(exim)), "POPLOCK_EXIM names Exim's binary (.ci/run unpacks it): " + exim);
        return Path.of(exim);
    }

    /** The README's RCPT ACL: accept on the policy service's OK. */
    private Path config(int policyPort) throws Exception {
        return config(policyPort, "");
    }

    /** The configuration; {@code sender} is what the ACL adds to the request ("sender=$sender_address\\n", as the docs say, or nothing). */
    private Path config(int policyPort, String sender) throws Exception {
        return config(
                "  accept  condition = ${if match{${readsocket{inet:127.0.0.1:" + policyPort + "}"
                        + "{request=smtpd_access_policy\\nclient_address=$sender_host_address\\n" + sender + "\\n}{5s}{}{action=DUNNO}}}{\\N^action=OK\\s*$\\N}}",
                "  accept  domains = +local_domains",
                "  deny    message = relay not permitted");
    }

    private Path config(String... rcptAcl) throws Exception {
        Files.createDirectories(dir.resolve("spool"));
        Files.createDirectories(dir.resolve("log"));
        var conf = dir.resolve("exim.conf");
        var lines = new ArrayList<>(List.of(
                "primary_hostname = mx.local.test",
                "domainlist local_domains = local.test",
                "exim_user = root",
                "exim_group = root",
                "never_users =",
                "spool_directory = " + dir.resolve("spool"),
                "log_file_path = " + dir.resolve("log") + "/%slog",
                "acl_smtp_rcpt = acl_check_rcpt",
                "begin acl",
                "acl_check_rcpt:"));
        lines.addAll(List.of(rcptAcl));
        lines.add("");
        Files.writeString(conf, String.join("\n", lines));
        return conf;
    }

    record Dialogue(String reply, long millis) {
    }

    /** exim -bh from {@code source}: the reply to RCPT TO {@code to}, and how long it all took. */
    private Dialogue rcpt(Path conf, String source, String to) throws Exception {
        return rcpt(conf, source, "a@example.com", to);
    }

    private Dialogue rcpt(Path conf, String source, String from, String to) throws Exception {
        long start = System.nanoTime();
        var p = new ProcessBuilder(exim().toString(), "-C", conf.toString(), "-bh", source).redirectErrorStream(true).start();
        p.getOutputStream().write(("EHLO client\r\nMAIL FROM:<" + from + ">\r\nRCPT TO:<" + to + ">\r\nQUIT\r\n").getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        var reply = out.lines().filter(l -> l.startsWith("250 Accepted") || l.startsWith("550 ") || l.startsWith("451 ")).findFirst().orElse(out);
        return new Dialogue(reply, (System.nanoTime() - start) / 1_000_000);
    }

    /** readlog following {@code log} with its policy service on {@code port} and {@code more} options, once it answers; its stderr. */
    private Launchers.StreamText startReadlog(Path log, int port, String... more) throws Exception {
        var args = new ArrayList<>(List.of("--log", log.toString(), "--db", dir.resolve("relay.db").toString(), "--policy", "inet:127.0.0.1:" + port));
        args.addAll(List.of(more));
        readlog = Launchers.command("readlog", Map.of(), args.toArray(String[]::new)).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        var err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog's policy service", () -> err.soFar().contains("answering policy"));
        return err;
    }

    /** Waits until exim -bh from {@code source} answers a relayed RCPT with {@code reply}. */
    private void awaitReply(Path conf, String source, String reply, String what) throws Exception {
        Launchers.await(Duration.ofSeconds(20), what, () -> {
            try {
                return rcpt(conf, source, "b@example.net").reply().equals(reply);
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Through Exim's ACL: a shared address's grant is cut to --shared-timeout; a flagged user's grant ends at once. */
    @Test
    void aSharedAddressGetsAShortGrantAndAFlaggedUsersGrantEndsAtOnce() throws Exception {
        int port = RedisServer.freePort();
        var conf = config(port);
        var log = dir.resolve("mail.log");
        Files.writeString(log, "");
        var err = startReadlog(log, port, "--timeout", "60s", "--shared-users", "2", "--shared-timeout", "6s", "--flag-networks", "3");
        var now = Instant.now();
        Files.writeString(log, Dovecot.login(now, "imap", "192.0.2.7", "alice") + Dovecot.login(now, "imap", "192.0.2.7", "bob")
                + Dovecot.login(now, "imap", "192.0.2.7", "carol") + Dovecot.login(now, "imap", "198.51.100.9", "mallory"), StandardOpenOption.APPEND);
        awaitReply(conf, "198.51.100.9", "250 Accepted", "mallory relays after her login");
        assertTrue(err.soFar().contains("192.0.2.7 is shared: 3 users logged in from it"), err.soFar());
        awaitReply(conf, "192.0.2.7", "550 relay not permitted", "the shared address's grant ends after 6 s, not 60");
        System.out.println("exim: 192.0.2.7 shared by 3 users, after --shared-timeout 6s: " + rcpt(conf, "192.0.2.7", "b@example.net").reply());
        now = Instant.now();
        Files.writeString(log, Dovecot.login(now, "imap", "203.0.113.7", "mallory") + Dovecot.login(now, "imap", "192.0.3.7", "mallory")
                + Dovecot.login(now, "imap", "192.0.4.7", "mallory"), StandardOpenOption.APPEND);
        awaitReply(conf, "198.51.100.9", "550 relay not permitted", "flagged: her grant ends at once");
        System.out.println("exim: mallory flagged (4 networks within the hour): " + rcpt(conf, "198.51.100.9", "b@example.net").reply());
        assertTrue(err.soFar().contains("flagged mallory: logins from more than 3 networks within an hour"), err.soFar());
    }

    @Test
    void aGrantedAddressMayRelayAnotherMayNotAndWithReadlogStoppedNoneMayWithinTheTimeout() throws Exception {
        int port = RedisServer.freePort();
        var conf = config(port);
        var log = dir.resolve("mail.log");
        Files.writeString(log, "");
        var err = startReadlog(log, port);
        assertEquals("550 relay not permitted", rcpt(conf, "192.0.2.7", "b@example.net").reply(), "no relay before a login");
        Files.writeString(log, Dovecot.login(Instant.now(), "imap", "192.0.2.7", "alice"), StandardOpenOption.APPEND);
        awaitReply(conf, "192.0.2.7", "250 Accepted", "relay accepted after the login");
        assertEquals("550 relay not permitted", rcpt(conf, "192.0.2.8", "b@example.net").reply(), "another address may not relay");
        assertEquals("250 Accepted", rcpt(conf, "192.0.2.8", "b@local.test").reply(), "local mail is accepted");

        Launchers.signal(readlog, "STOP"); // hung: the connection is taken, no answer comes
        var hung = rcpt(conf, "192.0.2.7", "b@example.net");
        System.out.println("exim: readlog hung (SIGSTOP): RCPT answered in " + hung.millis() + " ms: " + hung.reply());
        assertEquals("550 relay not permitted", hung.reply());
        assertTrue(hung.millis() < 8_000, "readsocket's 5 s, not longer: " + hung.millis() + " ms");
        Launchers.signal(readlog, "CONT");
        readlog.destroyForcibly();
        readlog.waitFor();
        var gone = rcpt(conf, "192.0.2.7", "b@example.net");
        assertEquals("550 relay not permitted", gone.reply(), "readlog stopped: no relay");
        assertEquals("250 Accepted", rcpt(conf, "192.0.2.8", "b@local.test").reply());
    }

    /** --policy-sender login behind the documented ACL that passes $sender_address: a user's senders relay, another's do not. */
    @Test
    void withSenderBindingTheAclPassesTheSenderAndOnlyTheLoggedInUsersSendersRelay() throws Exception {
        int port = RedisServer.freePort();
        var conf = config(port, "sender=$sender_address\\n");
        var log = dir.resolve("mail.log");
        Files.writeString(log, "");
        var map = Files.writeString(dir.resolve("senders"), "@example.org  alice\n");
        var err = startReadlog(log, port, "--policy-sender", "login", "--sender-domain", "example.com", "--sender-login-map", map.toString());
        Files.writeString(log, Dovecot.login(Instant.now(), "imap", "192.0.2.7", "alice")
                + Dovecot.login(Instant.now(), "imap", "192.0.2.9", "alice"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "alice's sender relays after her login", () -> {
            try {
                return rcpt(conf, "192.0.2.7", "alice@example.com", "b@example.net").reply().equals("250 Accepted");
            } catch (Exception e) {
                return false;
            }
        });
        var other = rcpt(conf, "192.0.2.7", "bob@example.com", "b@example.net");
        System.out.println("exim: bob's sender from alice's address: " + other.reply());
        assertEquals("550 relay not permitted", other.reply(), "another sender from the same address");
        assertEquals("250 Accepted", rcpt(conf, "192.0.2.7", "x@example.org", "b@example.net").reply(), "the map's @domain entry");
        assertEquals("550 relay not permitted", rcpt(conf, "192.0.2.7", "", "b@example.net").reply(), "the bounce sender");
        Files.writeString(log, Dovecot.login(Instant.now(), "imap", "192.0.2.7", "bob"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "bob's sender relays after his own login from the same address", () -> {
            try {
                return rcpt(conf, "192.0.2.7", "bob@example.com", "b@example.net").reply().equals("250 Accepted");
            } catch (Exception e) {
                return false;
            }
        });
        var unbound = config(port, "");
        Launchers.await(Duration.ofSeconds(10), "the mismatch said", () -> err.soFar().contains("192.0.2.7: sender <bob@example.com> not bound to alice"));
        assertEquals("550 relay not permitted", rcpt(unbound, "192.0.2.9", "alice@example.com", "b@example.net").reply(),
                "an ACL that passes no sender relays nothing under binding");
        Launchers.await(Duration.ofSeconds(10), "said why", () -> err.soFar().contains("carries no sender="));
    }

    /**
     * docs/budgets.md's ACL: the answer read once into a variable; a grant over its budget of 3
     * recipients is deferred with 4.7.1, local mail still accepted, another address still refused.
     */
    @Test
    void overItsBudgetAGrantedAddressIsDeferredWith471ByTheDocumentedAcl() throws Exception {
        int port = RedisServer.freePort();
        var conf = config(
                "  warn    set acl_m_poplock = ${readsocket{inet:127.0.0.1:" + port + "}"
                        + "{request=smtpd_access_policy\\nclient_address=$sender_host_address\\n\\n}{5s}{}{action=DUNNO}}",
                "  accept  condition = ${if match{$acl_m_poplock}{\\N^action=OK\\s*$\\N}}",
                "  accept  domains = +local_domains",
                "  defer   condition = ${if match{$acl_m_poplock}{\\N^action=DEFER_IF_REJECT 4.7.1\\N}}",
                "          message = 4.7.1 Recipient budget of this login used up, try again later",
                "  deny    message = relay not permitted");
        var log = dir.resolve("mail.log");
        Files.writeString(log, "");
        var err = startReadlog(log, port, "--budget-recipients-per-grant", "3");
        Files.writeString(log, Dovecot.login(Instant.now(), "imap", "192.0.2.7", "alice"), StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "relay accepted after the login (the first recipient)", () -> {
            try {
                return rcpt(conf, "192.0.2.7", "b@example.net").reply().equals("250 Accepted");
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals("250 Accepted", rcpt(conf, "192.0.2.7", "c@example.net").reply(), "the second");
        assertEquals("250 Accepted", rcpt(conf, "192.0.2.7", "d@example.net").reply(), "the third");
        var over = rcpt(conf, "192.0.2.7", "e@example.net").reply();
        System.out.println("exim: the 4th recipient on a budget of 3: " + over);
        assertEquals("451 4.7.1 Recipient budget of this login used up, try again later", over);
        assertEquals("250 Accepted", rcpt(conf, "192.0.2.7", "f@local.test").reply(), "local mail is accepted");
        assertEquals("550 relay not permitted", rcpt(conf, "192.0.2.8", "b@example.net").reply(), "another address may not relay");
    }
}
