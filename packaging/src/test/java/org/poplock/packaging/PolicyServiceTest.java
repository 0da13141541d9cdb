package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** readlog's policy service alone, through the real launcher: Postfix's protocol spoken by hand. */
class PolicyServiceTest {

    @TempDir
    Path dir;

    private Process readlog;
    private Launchers.StreamText err;

    @AfterEach
    void stop() throws Exception {
        if (readlog != null) {
            readlog.destroyForcibly();
            readlog.waitFor();
        }
    }

    private int start(String... extra) throws Exception {
        int port = RedisServer.freePort();
        var args = new ArrayList<>(List.of("--log", dir.resolve("mail.log").toString(), "--db", dir.resolve("relay.db").toString(),
                "--policy", "inet:127.0.0.1:" + port));
        args.addAll(List.of(extra));
        Files.writeString(dir.resolve("mail.log"), "");
        readlog = Launchers.command("readlog", Map.of(), args.toArray(String[]::new)).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog to listen", () -> err.soFar().contains("answering policy requests") || !readlog.isAlive());
        assertTrue(readlog.isAlive(), err.soFar());
        return port;
    }

    private void login(String ip) throws IOException {
        Files.writeString(dir.resolve("mail.log"), Dovecot.login(Instant.now(), "pop3", ip, "alice"), StandardOpenOption.APPEND);
    }

    static String request(String ip) {
        return "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=" + ip
                + "\nclient_name=unknown\nsender=a@example.com\nrecipient=b@example.net\ninstance=123.456\n\n";
    }

    /** Reads one reply (up to its empty line), or null when the server closed the connection. */
    static String reply(InputStream in) throws IOException {
        var sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            sb.append((char) b);
            if (sb.toString().endsWith("\n\n")) {
                return sb.toString();
            }
        }
        return null;
    }

    private static String ask(int port, String ip) throws IOException {
        try (var s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request(ip).getBytes(StandardCharsets.US_ASCII));
            return reply(s.getInputStream());
        }
    }

    @Test
    void aGrantedClientIsOkOthersDunnoOnOneConnectionForManyRequestsAndManyConnectionsAtOnce() throws Exception {
        int port = start();
        assertEquals("action=DUNNO\n\n", ask(port, "203.0.113.9"), "no grant before the login");
        login("203.0.113.9");
        awaitOk(port);
        try (var s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            // Pipelined: three requests in one write; the v4-mapped form is the same client.
            s.getOutputStream().write((request("203.0.113.9") + request("::ffff:203.0.113.9") + request("198.51.100.1"))
                    .getBytes(StandardCharsets.US_ASCII));
            var in = s.getInputStream();
            assertEquals("action=OK\n\n", reply(in));
            assertEquals("action=OK\n\n", reply(in));
            assertEquals("action=DUNNO\n\n", reply(in));
        }
        var clients = new ArrayList<Socket>();
        try {
            for (int i = 0; i < 300; i++) {
                var s = new Socket("127.0.0.1", port);
                s.setSoTimeout(10_000);
                clients.add(s);
            }
            for (int round = 0; round < 2; round++) {
                for (var s : clients) {
                    s.getOutputStream().write(request(round == 0 ? "203.0.113.9" : "192.0.2.1").getBytes(StandardCharsets.US_ASCII));
                }
                for (var s : clients) {
                    assertEquals(round == 0 ? "action=OK\n\n" : "action=DUNNO\n\n", reply(s.getInputStream()));
                }
            }
        } finally {
            for (var s : clients) {
                s.close();
            }
        }
    }

    private static void awaitOk(int port) throws InterruptedException {
        Launchers.await(Duration.ofSeconds(20), "the grant answered", () -> {
            try {
                return "action=OK\n\n".equals(ask(port, "203.0.113.9"));
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Test
    void eachKindOfBadInputClosesThatClientAloneWithOneLine() throws Exception {
        int port = start();
        login("203.0.113.9");
        awaitOk(port);
        var good = new Socket("127.0.0.1", port);
        good.setSoTimeout(10_000);
        var bad = Map.of(
                "long line", "request=smtpd_access_policy\nx=" + "a".repeat(17 * 1024) + "\n\n",
                "too many attributes", "request=smtpd_access_policy\n" + "a=b\n".repeat(1001) + "\n",
                "not text", "request=smtpd_access_policy\nclient_address=1.2.3.4\u0000\n\n",
                "no request", "client_address=203.0.113.9\n\n",
                "no attribute", "request=smtpd_access_policy\njust words\n\n");
        var said = Map.of("long line", "over 16 KiB", "too many attributes", "more than 1000 attributes", "not text", "not text",
                "no request", "without request=", "no attribute", "no name=value");
        for (var e : bad.entrySet()) {
            try (var s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                try {
                    s.getOutputStream().write(e.getValue().getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException closedWhileWriting) {
                    // the server may close before it has read it all
                }
                assertEquals(null, reply(s.getInputStream()), e.getKey() + ": closed with no reply");
            } catch (java.net.SocketException reset) {
                // closed with unread data: the same, seen as a reset
            }
            Launchers.await(Duration.ofSeconds(10), "a line for " + e.getKey(), () -> err.soFar().contains(said.get(e.getKey())));
            good.getOutputStream().write(request("203.0.113.9").getBytes(StandardCharsets.US_ASCII));
            assertEquals("action=OK\n\n", reply(good.getInputStream()), "the other client is still answered after " + e.getKey());
        }
        // The same trouble again is not another line.
        for (int i = 0; i < 20; i++) {
            try (var s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write("client_address=1.2.3.4\n\n".getBytes(StandardCharsets.US_ASCII));
                reply(s.getInputStream());
            }
        }
        assertEquals("action=DUNNO\n\n", ask(port, "192.0.2.99"));
        assertEquals(1, err.soFar().lines().filter(l -> l.contains("without request=")).count(), err.soFar());
        // Cut mid-request: that client alone.
        try (var s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write("request=smtpd_access_policy\nclient_add".getBytes(StandardCharsets.US_ASCII));
        }
        Launchers.await(Duration.ofSeconds(10), "a line for a cut request", () -> err.soFar().contains("mid-request"));
        good.getOutputStream().write(request("203.0.113.9").getBytes(StandardCharsets.US_ASCII));
        assertEquals("action=OK\n\n", reply(good.getInputStream()));
        good.close();
        assertTrue(readlog.isAlive());
    }

    @Test
    void aUnixSocketHasItsModeAndTheActionIsTheAdminsAndAGrantEndsAtItsExpiry() throws Exception {
        var socket = dir.resolve("policy.sock");
        start("--policy", "unix:" + socket, "--policy-mode", "0660", "--policy-action", "PERMIT", "--timeout", "3s");
        Launchers.await(Duration.ofSeconds(10), "the socket", () -> Files.exists(socket));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        login("203.0.113.9");
        Launchers.await(Duration.ofSeconds(20), "PERMIT on the unix socket", () -> "action=PERMIT\n\n".equals(askUnix(socket, "203.0.113.9")));
        Launchers.await(Duration.ofSeconds(20), "DUNNO once the grant expired", () -> "action=DUNNO\n\n".equals(askUnix(socket, "203.0.113.9")));
        Launchers.signal(readlog, "TERM");
        assertTrue(readlog.waitFor(30, TimeUnit.SECONDS));
        assertTrue(!Files.exists(socket), "the socket is removed at a clean stop");
    }

    private static String askUnix(Path socket, String ip) {
        try (var ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            OutputStream out = Channels.newOutputStream(ch);
            out.write(request(ip).getBytes(StandardCharsets.US_ASCII));
            return reply(Channels.newInputStream(ch));
        } catch (IOException e) {
            return null;
        }
    }
    /**
     * Run as an unprivileged user (nobody, as the package's poplock would be), each unix socket that
     * cannot be made or handed over says why in terms the admin can change, exit 111, and leaves no
     * socket behind.
     */
    @Test
    void asAnUnprivilegedUserEachUnixSocketTroubleNamesItsCauseAndLeavesNoSocket() throws Exception {
        Launchers.requireNobody();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("mail.log"), "");
        var own = Files.createDirectories(dir.resolve("own"));
        chown("nobody:nogroup", own);
        // Postfix's private/ on Debian: postfix's, 0700.
        var postfixs = Files.createDirectories(dir.resolve("private"));
        chown("postfix", postfixs);
        Files.setPosixFilePermissions(postfixs, PosixFilePermissions.fromString("rwx------"));

        var refused = asNobody(own, "--policy", "unix:" + postfixs.resolve("poplock"));
        assertEquals(111, refused.exit(), refused.err());
        assertEquals("readlog: --policy unix:" + postfixs.resolve("poplock") + ": cannot listen: Permission denied (the directory " + postfixs
                + " is postfix's, mode 0700: nobody may not make a socket in it)\n", refused.err());
        var below = asNobody(own, "--policy", "unix:" + postfixs.resolve("sub/poplock"));
        assertEquals("readlog: --policy unix:" + postfixs.resolve("sub/poplock") + ": cannot listen: Permission denied (the directory " + postfixs
                + " is postfix's, mode 0700: nobody may not pass through it)\n", below.err());
        var missing = asNobody(own, "--policy", "unix:" + dir.resolve("none/poplock"));
        assertEquals("readlog: --policy unix:" + dir.resolve("none/poplock") + ": cannot listen: No such file or directory (the directory "
                + dir.resolve("none") + " does not exist)\n", missing.err());

        var socket = own.resolve("policy");
        var notMember = asNobody(own, "--policy", "unix:" + socket, "--policy-group", "postfix");
        assertEquals(111, notMember.exit(), notMember.err());
        assertEquals("readlog: --policy unix:" + socket + ": cannot give the socket to group postfix: nobody is not a member of it"
                + " (chgrp: Operation not permitted)\n", notMember.err());
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the socket made before the chgrp is removed");
        var noGroup = asNobody(own, "--policy", "unix:" + socket, "--policy-group", "no-such-group-here");
        assertEquals("readlog: --policy unix:" + socket + ": cannot give the socket to group no-such-group-here: no such group\n", noGroup.err());

        // A first socket made, the second refused: the first is removed too.
        var later = asNobody(own, "--policy", "unix:" + socket, "--policy", "unix:" + postfixs.resolve("poplock"));
        assertEquals(111, later.exit(), later.err());
        assertTrue(later.err().contains("may not make a socket in it"), later.err());
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the first socket is removed when the second cannot be made");
    }

    private static void chown(String owner, Path path) throws Exception {
        assertEquals(0, new ProcessBuilder("chown", owner, path.toString()).inheritIO().start().waitFor());
    }

    /** readlog run as nobody (no supplementary group), its database in {@code own}; it must stop at once. */
    private Launchers.Result asNobody(Path own, String... policy) throws Exception {
        var args = new ArrayList<>(List.of("--log", dir.resolve("mail.log").toString(), "--db", own.resolve("relay.db").toString()));
        args.addAll(List.of(policy));
        var pb = Launchers.command("readlog", Map.of("POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + own), args.toArray(String[]::new));
        pb.command().addAll(0, Launchers.asNobody());
        var p = pb.start();
        p.getOutputStream().close();
        var out = new Launchers.StreamText(p.getInputStream());
        var err = new Launchers.StreamText(p.getErrorStream());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "readlog did not stop: " + err.soFar());
        return new Launchers.Result(p.exitValue(), out.text(), err.text());
    }
}
