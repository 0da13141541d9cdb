package org.poplock.readlog.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.address.IpAddress;
import org.poplock.readlog.state.UnsavedGrants;

/**
 * The policy service's request reader, as a client reaches it: the input's bytes sent on one
 * connection to a running {@link PolicyServer} (a unix socket), then the end of input. Whatever
 * was sent, the server answers only {@code action=OK} or {@code action=DUNNO} replies, one per
 * whole request at most, in order; OK only for a request whose client_address is a granted
 * address (in any literal form), DUNNO for one whose is not.
 */
class PolicyRequestFuzzTest {

    private static final Set<String> GRANTED = Set.of("192.0.2.7", "2001:db8::7");

    @TempDir
    Path dir;

    private PolicyServer server;
    private UnixDomainSocketAddress address;

    @BeforeEach
    void start() throws IOException {
        var grants = UnsavedGrants.of();
        GRANTED.forEach(ip -> grants.grant(ip, "alice", Instant.now(), Duration.ofDays(1)));
        var socket = dir.resolve("policy");
        server = PolicyServer.start(new LiveTable(grants), null, "OK", Duration.ofMinutes(5), 512, List.of(PolicyAddress.parse("unix:" + socket)),
                "0600", null, line -> { });
        address = UnixDomainSocketAddress.of(socket);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @FuzzTest(maxDuration = "10m")
    void policyRequests(byte[] input) throws IOException {
        var replies = new ByteArrayOutputStream();
        try (var channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(address);
            try {
                var out = ByteBuffer.wrap(input);
                while (out.hasRemaining()) {
                    channel.write(out);
                }
                channel.shutdownOutput();
            } catch (IOException e) {
                // the server closed on trouble before taking it all: what it answered still counts
            }
            var in = ByteBuffer.allocate(4096);
            try {
                while (channel.read(in.clear()) >= 0) {
                    replies.write(in.array(), 0, in.position());
                }
            } catch (IOException e) {
                // reset by a server that closed with our bytes unread
            }
        }
        var requests = clientAddresses(input);
        var answered = replies.toString(StandardCharsets.UTF_8);
        int n = 0;
        for (int at = 0; at < answered.length(); n++) {
            String reply = answered.startsWith("action=OK\n\n", at) ? "OK" : answered.startsWith("action=DUNNO\n\n", at) ? "DUNNO" : null;
            assertTrue(reply != null, "not a reply: " + answered.substring(at));
            at += reply.length() + 9;
            assertTrue(n < requests.size(), "more replies than requests");
            var client = requests.get(n);
            var bytes = client == null ? null : IpAddress.bytesOrNull(client);
            assertEquals(bytes != null && GRANTED.contains(IpAddress.format(bytes)) ? "OK" : "DUNNO", reply,
                    "request " + n + ", client_address " + client);
        }
    }

    /** Each whole request's client_address (its last one; null for none), in order: what the protocol says a reply depends on. */
    private static List<String> clientAddresses(byte[] input) {
        var out = new ArrayList<String>();
        String client = null;
        int start = 0;
        for (int i = 0; i < input.length; i++) {
            if (input[i] != '\n') {
                continue;
            }
            int end = i > start && input[i - 1] == '\r' ? i - 1 : i;
            var line = new String(input, start, end - start, StandardCharsets.UTF_8);
            start = i + 1;
            if (line.isEmpty()) {
                out.add(client);
                client = null;
            } else if (line.startsWith("client_address=")) {
                client = line.substring("client_address=".length());
            }
        }
        return out;
    }
}
