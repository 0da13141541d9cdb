package org.poplock.readlog.socketmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.readlog.policy.LiveTable;
import org.poplock.readlog.policy.PolicyAddress;
import org.poplock.readlog.state.UnsavedGrants;

/** The socketmap listener on real sockets: answers in turn, PERM and close on trouble, its bounds, its socket. */
@Timeout(60) // a listener that never closes a client would otherwise hang the build, not fail it
class SocketmapServerTest {

    @TempDir
    Path dir;

    private SocketmapServer server;
    private final List<String> said = new CopyOnWriteArrayList<>();
    private int port;

    @BeforeEach
    void start() throws IOException {
        var grants = UnsavedGrants.of();
        grants.grant("192.0.2.7", "alice", Instant.now(), Duration.ofDays(1));
        try (var probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        var settings = new SocketmapServer.Settings(List.of(PolicyAddress.parse("--socketmap", "unix:" + dir.resolve("map"), ""),
                PolicyAddress.parse("--socketmap", "inet:127.0.0.1:" + port, "")), "RELAY", "0600", null, 3);
        server = SocketmapServer.start(settings, new SocketmapAnswers(new LiveTable(grants), "RELAY", System::currentTimeMillis), said::add);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private SocketChannel unix() throws IOException {
        var channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(dir.resolve("map")));
        return channel;
    }

    private static String netstring(String text) {
        return text.length() + ":" + text + ",";
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }

    @Test
    void lookupsOnOneConnectionAreAnsweredInTurnAndTroubleGetsPermThenTheEnd() throws IOException {
        try (var channel = unix()) {
            var out = Channels.newOutputStream(channel);
            out.write((netstring("drac 192.0.2.7") + netstring("drac IPv6:::ffff:192.0.2.7") + netstring("drac 192.0.2.8") + "junk")
                    .getBytes(StandardCharsets.US_ASCII));
            assertEquals("8:OK RELAY,8:OK RELAY,9:NOTFOUND ,20:PERM not a netstring,", readAll(Channels.newInputStream(channel)));
        }
        assertTrue(said.contains("socketmap: a client sent not a netstring; answered PERM and closed"), said.toString());
    }

    @Test
    void requestsSentAtOnceGetOneReplyEachAndNothingMore() throws IOException {
        try (var channel = unix()) {
            Channels.newOutputStream(channel).write((netstring("drac 192.0.2.8") + netstring("drac 192.0.2.7"))
                    .getBytes(StandardCharsets.US_ASCII));
            channel.shutdownOutput();
            assertEquals("9:NOTFOUND ,8:OK RELAY,", readAll(Channels.newInputStream(channel)));
        }
        assertEquals(List.of(), said, "a clean end after whole requests is no trouble");
    }

    @Test
    void aRequestOverTheLimitIsRefusedBeforeItIsRead() throws IOException {
        try (var channel = unix()) {
            Channels.newOutputStream(channel).write("1025:".getBytes(StandardCharsets.US_ASCII));
            assertEquals(netstring("PERM a request over 1024 bytes"), readAll(Channels.newInputStream(channel)));
        }
    }

    @Test
    void pastTheConnectionsPerClientTheOneWaitingLongestIsClosed() throws Exception {
        var sockets = new ArrayList<Socket>();
        try {
            for (int i = 0; i < 4; i++) {
                var s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port));
                sockets.add(s);
                Thread.sleep(20);
            }
            sockets.get(0).setSoTimeout(5000);
            assertEquals(-1, sockets.get(0).getInputStream().read(), "the first, waiting longest, is closed");
            var last = sockets.get(3);
            last.getOutputStream().write(netstring("drac 192.0.2.7").getBytes(StandardCharsets.US_ASCII));
            last.setSoTimeout(5000);
            assertEquals("8:OK RELAY,", new String(last.getInputStream().readNBytes(11), StandardCharsets.US_ASCII));
        } finally {
            for (var s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void aRequestBegunAndNotEndedIsClosedAfterItsTime() throws Exception {
        try (var channel = unix()) {
            Channels.newOutputStream(channel).write("14:drac 19".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            assertEquals("", readAll(Channels.newInputStream(channel)), "closed without a reply");
            assertTrue(System.nanoTime() - start >= SocketmapServer.REQUEST_MILLIS * 900_000L, "not before its time");
        }
        assertTrue(said.stream().anyMatch(l -> l.contains("no whole request within 10 s")), said.toString());
    }

    @Test
    void itsUnixSocketHasItsModeAndIsGoneAtClose() throws IOException {
        var socket = dir.resolve("map");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        server.close();
        assertTrue(Files.notExists(socket));
        assertThrows(IOException.class, this::unix);
    }
}
