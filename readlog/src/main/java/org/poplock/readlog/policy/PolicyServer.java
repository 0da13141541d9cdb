package org.poplock.readlog.policy;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.poplock.common.address.IpAddress;
import org.poplock.common.address.Printable;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.budget.Budget;

/**
 * Postfix's policy delegation protocol (SMTPD_POLICY_README) over readlog's live grants, for
 * Postfix's {@code check_policy_service} and Exim's {@code ${readsocket}}: {@code name=value}
 * lines ended by an empty line; {@code request=smtpd_access_policy} and {@code client_address}
 * count (and, for a {@link Budget}, {@code protocol_state} and {@code instance}), every other
 * attribute not in {@link #KEPT} is read and forgotten; a client address with a live grant gets
 * {@code action=OK} (or {@code --policy-action}) unless over its budget, any other
 * {@code action=DUNNO}. Connections stay open for as many requests as the client sends.
 *
 * <p>Every client is attacker input: a line over {@link #MAX_LINE}, a request over
 * {@link #MAX_REQUEST} or {@link #MAX_ATTRIBUTES} attributes, bytes that are not text, a request
 * without {@code request=}, a client that stops mid-request or has not sent a whole request
 * within {@link #REQUEST_MILLIS}: that connection alone is closed without a reply (Postfix's rule
 * in trouble), with one line on stderr per kind of trouble at most once a minute. A request in
 * progress holds its current line and the few attributes kept, never the others, so a
 * client costs a few KiB of heap at most. Past {@link #MAX_CONNECTIONS} in all, or the
 * connections per client address over TCP, a new client is taken and the one of them waiting
 * longest without a whole request (or idle longest) is closed: a flood of idle clients cannot lock
 * out Postfix, which sends its request at once. One thread per connection (a busy Postfix holds a
 * few hundred), answers from {@link LiveTable}: nothing here waits on the daemon's thread, and
 * nothing the daemon does waits on a client.
 */
public final class PolicyServer implements AutoCloseable {

    static final int MAX_LINE = 16 * 1024;
    static final int MAX_ATTRIBUTES = 1000;
    /** A request's lines in all: Postfix's are under 2 KiB. */
    static final int MAX_REQUEST = 64 * 1024;
    static final int MAX_CONNECTIONS = 2000;
    /** A client that has not sent a whole request this long after its first byte (or its connection) is dropped: Postfix sends one at once. */
    static final long REQUEST_MILLIS = 10_000;

    /** The attributes a request keeps (each at most a line); the others are read and forgotten. */
    static final Set<String> KEPT = Set.of("request", "client_address", "protocol_state", "instance", "recipient", "sasl_username");

    private final LiveTable table;
    /** Null: no budget. */
    private final Budget budget;
    private final String action;
    private final long idleMillis;
    private final int perClient;
    private final Troubles troubles;
    /** Requests answered with the action, and with DUNNO: for the metrics. */
    private final LongAdder granted = new LongAdder();
    private final LongAdder notGranted = new LongAdder();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<PolicyAddress> addresses;
    /** The unix sockets this server bound: removed at close, also when a later address could not be taken; never another's. */
    private final List<Path> made = new ArrayList<>();
    private final Map<SocketChannel, Connection> connections = new ConcurrentHashMap<>();
    private final AtomicInteger threadNumber = new AtomicInteger();
    private volatile boolean running = true;

    private PolicyServer(LiveTable table, Budget budget, String action, Duration idle, int perClient, List<PolicyAddress> addresses,
            Consumer<String> log) {
        this.table = table;
        this.budget = budget;
        this.action = action;
        this.idleMillis = idle.toMillis();
        this.perClient = perClient;
        this.addresses = addresses;
        this.troubles = new Troubles("policy: ", log);
    }

    /**
     * Listens on every address (a unix socket with {@code mode} and {@code group}, null for
     * readlog's; a stale socket replaced, one another process listens on refused with its pid)
     * and starts answering, at most {@code perClient} connections from one address over TCP;
     * IOException with one line when an address cannot be taken. A granted client's recipients are
     * counted against {@code budget} (null: none).
     */
    public static PolicyServer start(LiveTable table, Budget budget, String action, Duration idle, int perClient, List<PolicyAddress> addresses,
            String mode, String group, Consumer<String> log) throws IOException {
        var server = new PolicyServer(table, budget, action, idle, perClient, addresses, log);
        try {
            for (var address : addresses) {
                server.listeners.add(server.listen(address, mode, group));
            }
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        for (var listener : server.listeners) {
            server.thread(() -> server.accept(listener), "policy-accept").start();
        }
        server.thread(server::reap, "policy-reaper").start();
        return server;
    }

    private ServerSocketChannel listen(PolicyAddress address, String mode, String group) throws IOException {
        if (address.unix() == null) {
            var channel = ServerSocketChannel.open();
            try {
                channel.bind(address.socketAddress(), 256);
            } catch (IOException e) {
                channel.close();
                throw new IOException("--policy " + address + ": cannot listen: " + e.getMessage(), e);
            }
            return channel;
        }
        var path = address.unix();
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            var kind = Files.readAttributes(path, "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode");
            if (kind instanceof Integer m && (m & 0170000) != 0140000) {
                throw new IOException("--policy " + address + ": " + path + " exists and is no socket; not replacing it");
            }
            boolean answered;
            try (var probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                answered = true;
            } catch (IOException refused) {
                answered = false;
            }
            if (answered) {
                var pid = SocketOwner.pidOf(path);
                throw new IOException("--policy " + address + ": in use" + (pid == null ? "" : " by pid " + pid) + "; not taking it over");
            }
            Files.deleteIfExists(path); // nobody answers on it: left by a readlog that died
        }
        GroupPrincipal owners = null;
        if (group != null) {
            try {
                owners = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
            } catch (UserPrincipalNotFoundException e) {
                throw new IOException("--policy " + address + ": cannot give the socket to group " + group + ": no such group", e);
            }
        }
        var user = System.getProperty("user.name");
        var channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(address.socketAddress(), 256);
        } catch (IOException e) {
            channel.close();
            var reason = SocketTrouble.reason(e);
            throw new IOException("--policy " + address + ": cannot listen: " + reason + SocketTrouble.bindCause(path, reason, user), e);
        }
        made.add(path);
        try {
            Files.setPosixFilePermissions(path, permissions(mode));
        } catch (IOException e) {
            channel.close();
            throw new IOException("--policy " + address + ": cannot set the socket's mode " + mode + ": " + SocketTrouble.reason(e), e);
        }
        if (owners != null) {
            try {
                Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(owners);
            } catch (IOException e) {
                channel.close();
                throw new IOException("--policy " + address + ": cannot give the socket to group " + group + ": "
                        + SocketTrouble.groupCause(SocketTrouble.reason(e), user), e);
            }
        }
        return channel;
    }

    /** An octal mode such as 0660, as permissions; IllegalArgumentException for anything else. */
    public static Set<PosixFilePermission> permissions(String mode) {
        if (!mode.matches("0?[0-7]{3}")) {
            throw new IllegalArgumentException("--policy-mode " + mode + " is not an octal mode such as 0660");
        }
        int m = Integer.parseInt(mode, 8);
        var out = EnumSet.noneOf(PosixFilePermission.class);
        var all = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < 9; i++) {
            if ((m & (1 << (8 - i))) != 0) {
                out.add(all[i]);
            }
        }
        return out;
    }

    private Thread thread(Runnable body, String name) {
        var t = new Thread(null, body, name + "-" + threadNumber.incrementAndGet(), 256 * 1024);
        t.setDaemon(true);
        return t;
    }

    private void accept(ServerSocketChannel listener) {
        while (running) {
            SocketChannel client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (running && listener.isOpen()) {
                    troubles.say("accept", "cannot accept: " + e.getMessage());
                    pauseQuietly();
                    continue;
                }
                return;
            }
            var connection = new Connection(client, remoteOf(client));
            makeRoomFor(connection);
            connections.put(client, connection);
            thread(connection::serve, "policy").start();
        }
    }

    /** A TCP client's address; null over a unix socket, whose mode and group say who may connect. */
    private static InetAddress remoteOf(SocketChannel client) {
        try {
            return client.getRemoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** At a connection limit (from this client's address, or in all), the one of them waiting longest goes. */
    private synchronized void makeRoomFor(Connection newcomer) {
        if (newcomer.remote != null) {
            var same = connections.values().stream().filter(c -> newcomer.remote.equals(c.remote)).toList();
            if (same.size() >= perClient) {
                troubles.say("too many from one", "more than " + perClient + " connections from " + newcomer.remote.getHostAddress()
                        + " (--policy-connections-per-client); closing the one of them waiting longest");
                longestWaiting(same).close();
                return;
            }
        }
        if (connections.size() >= MAX_CONNECTIONS) {
            troubles.say("too many", "more than " + MAX_CONNECTIONS + " connections at once; closing the one waiting longest");
            longestWaiting(connections.values()).close();
        }
    }

    private static Connection longestWaiting(Collection<Connection> among) {
        return among.stream().min(Comparator.comparingLong(c -> c.since)).orElseThrow();
    }

    /** Closes connections with no whole request in time (stalled, or never sent one), or idle past --policy-idle. */
    private void reap() {
        while (running) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.currentTimeMillis();
            for (var c : connections.values()) {
                long waited = now - c.since;
                if ((c.midRequest || c.answered == 0) && waited > REQUEST_MILLIS) {
                    troubles.say("stalled", "a client sent no whole request within " + REQUEST_MILLIS / 1000 + " s; closed");
                    c.close();
                } else if (!c.midRequest && c.answered > 0 && waited > idleMillis) {
                    c.close(); // idle, as Postfix's own max_idle: not a trouble
                }
            }
        }
    }

    /** One client: requests answered in turn until it closes, stalls or misbehaves. */
    private final class Connection {
        private final SocketChannel channel;
        final InetAddress remote;
        /** When the wait now under way began: connected, the current request's first byte, the last answer. */
        volatile long since = System.currentTimeMillis();
        volatile boolean midRequest;
        volatile int answered;

        Connection(SocketChannel channel, InetAddress remote) {
            this.channel = channel;
            this.remote = remote;
        }

        void serve() {
            try (InputStream in = Channels.newInputStream(channel);
                 OutputStream out = Channels.newOutputStream(channel)) {
                var attributes = new HashMap<String, String>();
                int count = 0;
                int bytes = 0;
                while (running) {
                    int n = readLine(in);
                    if (n < 0) {
                        if (midRequest) {
                            troubles.say("cut", "a client closed the connection mid-request");
                        }
                        return;
                    }
                    if (n == 0) { // the empty line: the request is whole
                        var reply = answer(attributes);
                        if (reply == null) {
                            return; // trouble said; no reply
                        }
                        out.write(reply);
                        out.flush();
                        answered++;
                        attributes.clear();
                        count = 0;
                        bytes = 0;
                        since = System.currentTimeMillis();
                        midRequest = false;
                        continue;
                    }
                    if (!midRequest) {
                        since = System.currentTimeMillis();
                        midRequest = true;
                    }
                    bytes += n + 1;
                    if (bytes > MAX_REQUEST) {
                        troubles.say("long request", "a client sent a request over " + MAX_REQUEST / 1024 + " KiB; closed");
                        return;
                    }
                    var text = text(line, n);
                    if (text == null) {
                        return;
                    }
                    int eq = text.indexOf('=');
                    if (eq <= 0) {
                        troubles.say("no attribute", "a client sent a line that is no name=value attribute; closed");
                        return;
                    }
                    if (++count > MAX_ATTRIBUTES) {
                        troubles.say("too many attributes", "a client sent more than " + MAX_ATTRIBUTES + " attributes; closed");
                        return;
                    }
                    var name = text.substring(0, eq);
                    if (KEPT.contains(name)) {
                        attributes.put(name, text.substring(eq + 1));
                    }
                }
            } catch (IOException e) {
                // closed by the reaper, or by the client: nothing to answer
            } finally {
                close();
            }
        }

        /** Bytes read and not yet taken; the current line, grown as far as {@link #MAX_LINE} as it needs. */
        private final byte[] buffer = new byte[4096];
        private int pos;
        private int limit;
        private byte[] line = new byte[512];

        /** The line's length without its newline (in {@link #line}), -1 at the end; a line too long is trouble (an IOException closes). */
        private int readLine(InputStream in) throws IOException {
            int n = 0;
            while (true) {
                if (pos == limit) {
                    limit = in.read(buffer, 0, buffer.length);
                    pos = 0;
                    if (limit < 0) {
                        limit = 0;
                        return n == 0 ? -1 : cutLine();
                    }
                }
                int b = buffer[pos++] & 0xff;
                if (b == '\n') {
                    if (n > 0 && line[n - 1] == '\r') {
                        n--;
                    }
                    return n;
                }
                if (n == line.length) {
                    if (n == MAX_LINE) {
                        troubles.say("long line", "a client sent a line over " + MAX_LINE / 1024 + " KiB; closed");
                        throw new IOException("line too long");
                    }
                    line = Arrays.copyOf(line, Math.min(MAX_LINE, n * 2));
                }
                line[n++] = (byte) b;
            }
        }

        private int cutLine() throws IOException {
            troubles.say("cut", "a client closed the connection mid-request");
            throw new IOException("cut");
        }

        private String text(byte[] line, int n) {
            for (int i = 0; i < n; i++) {
                int b = line[i] & 0xff;
                if (b < 0x20 && b != '\t' || b == 0x7f) {
                    troubles.say("not text", "a client sent bytes that are not text; closed");
                    return null;
                }
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line, 0, n)).toString();
            } catch (CharacterCodingException e) {
                troubles.say("not text", "a client sent bytes that are not text; closed");
                return null;
            }
        }

        private byte[] answer(Map<String, String> attributes) {
            var request = attributes.get("request");
            if (request == null) {
                troubles.say("no request", "a client sent a request without request=; closed");
                return null;
            }
            if (!request.equals("smtpd_access_policy")) {
                troubles.say("other request", "a client asked request=" + Printable.of(request)
                        + ", not smtpd_access_policy; closed");
                return null;
            }
            var client = attributes.get("client_address");
            var ip = client == null ? null : IpAddress.bytesOrNull(client);
            var canonical = ip == null ? null : IpAddress.format(ip);
            long now = System.currentTimeMillis();
            boolean live = ip != null && table.isLive(canonical, now);
            if (live && budget != null) {
                var over = budget.check(canonical, budget.perUser() ? table.user(canonical) : null, attributes.get("protocol_state"), attributes.get("instance"), now);
                if (over != null) {
                    return ("action=" + over + "\n\n").getBytes(StandardCharsets.UTF_8);
                }
            }
            (live ? granted : notGranted).increment();
            return ("action=" + (live ? action : "DUNNO") + "\n\n").getBytes(StandardCharsets.UTF_8);
        }

        void close() {
            connections.remove(channel);
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // already gone
        }
    }

    private static void pauseQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How many clients are connected now: for the summary. */
    public int connected() {
        return connections.size();
    }

    public List<PolicyAddress> addresses() {
        return addresses;
    }

    /** Requests answered with the grant's action. */
    public long granted() {
        return granted.sum();
    }

    /** Requests answered DUNNO (no live grant). */
    public long notGranted() {
        return notGranted.sum();
    }

    /** Stops listening, closes every client and removes the unix sockets it made. */
    @Override
    public void close() {
        running = false;
        for (var listener : listeners) {
            closeQuietly(listener);
        }
        for (var c : connections.values()) {
            c.close();
        }
        for (var path : made) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // a stale socket is replaced at the next start
            }
        }
    }
}
