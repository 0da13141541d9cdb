package org.poplock.readlog.socketmap;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.listen.Binding;
import org.poplock.readlog.listen.Listener;
import org.poplock.readlog.policy.PolicyAddress;

/**
 * readlog's socketmap listener: {@link SocketmapCodec} requests answered by
 * {@link SocketmapAnswers}, on one thread with a selector, so a client costs a connection and
 * {@link SocketmapCodec#MAX_REQUEST} bytes at most, never a thread. Connections stay open for as
 * many lookups as the client sends (sendmail keeps one per process).
 *
 * <p>Every client is attacker input: bytes that are no request get {@code PERM} and the connection
 * is closed; a request begun and not whole within {@link #REQUEST_MILLIS} is closed, and so is a
 * connection idle for {@link #IDLE_MILLIS}; past {@link #MAX_CONNECTIONS} in all, or the
 * connections allowed per client address over TCP, a new client is taken and the one of them
 * waiting longest is closed. One line per kind of trouble at most once a minute.
 */
public final class SocketmapServer implements Listener {

    static final int MAX_CONNECTIONS = 2000;
    /** A client that began a request and has not ended it this long after is closed: MTAs send a lookup whole. */
    static final long REQUEST_MILLIS = 10_000;
    /** A connection with no request under way this long is closed, as an MTA closes its own idle ones; it reconnects at its next lookup. */
    static final long IDLE_MILLIS = 300_000;

    /** The listener's settings: where, the value of a found key, a unix socket's mode and group, connections per client address. */
    public record Settings(List<PolicyAddress> addresses, String value, String mode, String group, int perClient) {
    }

    private final SocketmapAnswers answers;
    private final int perClient;
    private final Troubles troubles;
    private final Selector selector;
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<Path> made = new ArrayList<>();
    /** The connections, touched by the selector's thread alone. */
    private final List<Connection> connections = new ArrayList<>();
    private final LongAdder refused = new LongAdder();
    private final Thread thread;
    private volatile boolean running = true;

    private SocketmapServer(SocketmapAnswers answers, int perClient, Consumer<String> log) throws IOException {
        this.answers = answers;
        this.perClient = perClient;
        this.troubles = new Troubles("socketmap: ", log);
        this.selector = Selector.open();
        this.thread = new Thread(null, this::loop, "socketmap", 512 * 1024);
        thread.setDaemon(true);
    }

    /** Listens on every address and starts answering; IOException with one line when an address cannot be taken. */
    public static SocketmapServer start(Settings settings, SocketmapAnswers answers, Consumer<String> log) throws IOException {
        var server = new SocketmapServer(answers, settings.perClient(), log);
        try {
            for (var address : settings.addresses()) {
                var listener = server.listen(address, settings.mode(), settings.group());
                server.listeners.add(listener);
                listener.configureBlocking(false);
                listener.register(server.selector, SelectionKey.OP_ACCEPT);
            }
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        server.thread.start();
        return server;
    }

    private ServerSocketChannel listen(PolicyAddress address, String mode, String group) throws IOException {
        if (address.unix() == null) {
            try {
                return Binding.tcp(address.inetAddress());
            } catch (IOException e) {
                throw new IOException("--socketmap " + address + ": cannot listen: " + e.getMessage(), e);
            }
        }
        var channel = Binding.unix("--socketmap " + address, address.unix(), mode, group);
        made.add(address.unix());
        return channel;
    }

    private void loop() {
        long nextReap = System.currentTimeMillis() + 250;
        while (running) {
            try {
                selector.select(250);
                for (var key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept((ServerSocketChannel) key.channel());
                    } else {
                        var c = (Connection) key.attachment();
                        if (key.isWritable()) {
                            c.flush();
                        }
                        if (key.isValid() && key.isReadable()) {
                            c.read();
                        }
                    }
                }
                selector.selectedKeys().clear();
                long now = System.currentTimeMillis();
                if (now >= nextReap) {
                    reap(now);
                    nextReap = now + 250;
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    troubles.say("loop", "trouble in the listener, going on: " + e);
                }
            }
        }
    }

    private void accept(ServerSocketChannel listener) throws IOException {
        SocketChannel client;
        while ((client = listener.accept()) != null) {
            client.configureBlocking(false);
            var connection = new Connection(client, remoteOf(client));
            makeRoomFor(connection);
            connection.key = client.register(selector, SelectionKey.OP_READ, connection);
            connections.add(connection);
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
    private void makeRoomFor(Connection newcomer) {
        if (newcomer.remote != null) {
            var same = connections.stream().filter(c -> newcomer.remote.equals(c.remote)).toList();
            if (same.size() >= perClient) {
                troubles.say("too many from one", "more than " + perClient + " connections from " + newcomer.remote.getHostAddress()
                        + " (--socketmap-connections-per-client); closing the one of them waiting longest");
                longestWaiting(same).close();
                return;
            }
        }
        if (connections.size() >= MAX_CONNECTIONS) {
            troubles.say("too many", "more than " + MAX_CONNECTIONS + " connections at once; closing the one waiting longest");
            longestWaiting(connections).close();
        }
    }

    private static Connection longestWaiting(List<Connection> among) {
        return among.stream().min(Comparator.comparingLong(c -> c.since)).orElseThrow();
    }

    private void reap(long now) {
        for (var c : List.copyOf(connections)) {
            long waited = now - c.since;
            if (c.filled > 0 && waited > REQUEST_MILLIS) {
                troubles.say("stalled", "a client sent no whole request within " + REQUEST_MILLIS / 1000 + " s; closed");
                refused.increment();
                c.close();
            } else if (c.filled == 0 && waited > IDLE_MILLIS) {
                c.close(); // idle: the MTA reconnects when it next asks
            }
        }
    }

    /** One client: its bytes not yet a whole request, and a reply not yet written. */
    private final class Connection {
        private final SocketChannel channel;
        final InetAddress remote;
        SelectionKey key;
        private final byte[] in = new byte[SocketmapCodec.MAX_REQUEST + 8];
        int filled;
        private ByteBuffer out;
        /** Connected, the current request's first byte, or the last reply. */
        long since = System.currentTimeMillis();
        private boolean closeAfterReply;

        Connection(SocketChannel channel, InetAddress remote) {
            this.channel = channel;
            this.remote = remote;
        }

        void read() throws IOException {
            int n;
            try {
                n = channel.read(ByteBuffer.wrap(in, filled, in.length - filled));
            } catch (IOException e) {
                close();
                return;
            }
            if (n < 0) {
                if (filled > 0) {
                    troubles.say("cut", "a client closed the connection mid-request");
                }
                close();
                return;
            }
            if (filled == 0 && n > 0) {
                since = System.currentTimeMillis();
            }
            filled += n;
            answerWhatIsWhole();
        }

        /** Answers each whole request in the buffer in turn, until a reply waits to be written. */
        private void answerWhatIsWhole() throws IOException {
            while (out == null && filled > 0) {
                var decoded = SocketmapCodec.decode(in, filled);
                if (decoded.trouble() != null) {
                    troubles.say(decoded.trouble(), "a client sent " + decoded.trouble() + "; answered PERM and closed");
                    refused.increment();
                    closeAfterReply = true;
                    filled = 0;
                    send(SocketmapCodec.perm(decoded.trouble()));
                    return;
                }
                if (decoded.request() == null) {
                    return; // a request's beginning
                }
                System.arraycopy(in, decoded.consumed(), in, 0, filled - decoded.consumed());
                filled -= decoded.consumed();
                since = System.currentTimeMillis();
                send(answers.answer(decoded.request()));
            }
        }

        private void send(byte[] reply) throws IOException {
            out = ByteBuffer.wrap(reply);
            flush();
        }

        /** Writes what the reply has left; while some is left, nothing more is read (a client that does not read its replies stalls only itself). */
        void flush() throws IOException {
            try {
                channel.write(out);
            } catch (IOException e) {
                close();
                return;
            }
            if (out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_WRITE);
                return;
            }
            out = null;
            if (closeAfterReply) {
                close();
                return;
            }
            key.interestOps(SelectionKey.OP_READ);
            answerWhatIsWhole();
        }

        void close() {
            connections.remove(this);
            if (key != null) {
                key.cancel();
            }
            try {
                channel.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }

    @Override
    public String name() {
        return "socketmap";
    }

    /** {@inheritDoc} {@link #start(Settings, SocketmapAnswers, Consumer)} has bound and started it. */
    @Override
    public void start() {
    }

    @Override
    public String unhealthy() {
        return running && !thread.isAlive() ? "the socketmap service's thread has stopped" : null;
    }

    /** Lookups answered OK. */
    public long found() {
        return answers.found();
    }

    /** Lookups answered NOTFOUND. */
    public long notFound() {
        return answers.notFound();
    }

    /** Clients closed for trouble: no request, too slow. */
    public long refused() {
        return refused.sum();
    }

    /** Stops listening, closes every client and removes the unix sockets it made. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        if (thread.isAlive() && thread != Thread.currentThread()) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (var c : List.copyOf(connections)) {
            c.close();
        }
        for (var listener : listeners) {
            try {
                listener.close();
            } catch (IOException e) {
                // already gone
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            // already gone
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
