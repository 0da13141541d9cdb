package org.poplock.readlog.listen;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One thread and one selector serving every client of a listener: a client holds a buffer and
 * its session's state, never a thread, so a slow, stalled or hostile one costs only itself, and
 * a busy service on two cores spends no time switching between threads. Sessions frame and
 * answer; they run on this thread, so they must only look at what arrived and answer (queue,
 * count, format), never wait.
 */
public final class EventLoop implements AutoCloseable {

    /** What a listener does with one client's bytes. */
    public interface Session {
        /** Bytes that arrived (the buffer is reused after the call); an IOException closes the connection. */
        void received(ByteBuffer bytes) throws IOException;

        /** The client closed its side. */
        void ended();

        /** What was kept for a client that did not read at once is all out. */
        void flushed() throws IOException;

        /** Whether the client is past its time at {@code nowMillis}: the session says its own line and the loop closes it. */
        boolean expired(long nowMillis);
    }

    private static final long SWEEP_MILLIS = 250;
    /** How long a refused client may go on sending before its connection is closed: it then reads the answer, not a reset. */
    private static final long LINGER_MILLIS = 2000;

    private final List<ServerSocketChannel> servers;
    private final Function<Connection, Session> sessions;
    private final BiConsumer<String, String> trouble;
    private final Admission admission;
    private final Selector selector;
    private final Thread thread;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(16 * 1024);
    private volatile int connected;
    private volatile boolean running = true;
    private volatile String failure;

    /**
     * Serves the clients of {@code servers} (bound, still blocking) with a session each from
     * {@code sessions}, within {@code caps}; {@code trouble} hears one line per kind of trouble
     * (the caller rate-limits).
     */
    public EventLoop(String name, List<ServerSocketChannel> servers, int maxConnections, int maxPerAddress, String perAddressOption,
            Function<Connection, Session> sessions, BiConsumer<String, String> trouble) throws IOException {
        this.servers = servers;
        this.sessions = sessions;
        this.trouble = trouble;
        this.admission = new Admission(new Admission.Caps(maxConnections, maxPerAddress, perAddressOption), trouble);
        this.selector = Selector.open();
        for (var server : servers) {
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
        }
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    private void loop() {
        try {
            long nextSweep = 0;
            while (running) {
                try {
                    turn();
                    long now = System.currentTimeMillis();
                    if (now >= nextSweep) {
                        sweep(now);
                        nextSweep = now + SWEEP_MILLIS;
                    }
                } catch (IOException | RuntimeException e) {
                    if (running) {
                        trouble.accept("listener", "the listener met " + e + "; going on");
                    }
                }
            }
        } catch (Throwable t) {
            failure = "its thread ended: " + t;
            trouble.accept("ended", "the listener's thread ended: " + t);
        }
    }

    private void turn() throws IOException {
        selector.select(SWEEP_MILLIS);
        for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
            var key = it.next();
            it.remove();
            if (!key.isValid()) {
                continue;
            }
            if (key.isAcceptable()) {
                accept((ServerSocketChannel) key.channel());
            } else if (key.attachment() instanceof Served s) {
                ready(key, s);
            }
        }
    }

    /** A client and its session. */
    private record Served(Connection connection, Session session) {
    }

    private void accept(ServerSocketChannel server) throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            InetAddress remote;
            try {
                channel.configureBlocking(false);
                if (channel.getRemoteAddress() instanceof InetSocketAddress inet) {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    remote = inet.getAddress();
                } else {
                    remote = null;
                }
            } catch (IOException e) {
                channel.close();
                continue;
            }
            admission.makeRoom(remote);
            var connection = new Connection(channel, remote, System.currentTimeMillis(), this::forget);
            var served = new Served(connection, sessions.apply(connection));
            connection.register(channel.register(selector, SelectionKey.OP_READ, served));
            admission.add(connection);
            connected = admission.size();
        }
    }

    private void ready(SelectionKey key, Served s) {
        var c = s.connection();
        try {
            if (key.isWritable() && c.flush() && !c.lingering()) {
                s.session().flushed();
            }
            if (c.isOpen() && key.isValid() && key.isReadable()) {
                readBuffer.clear();
                int n = c.read(readBuffer);
                if (n < 0) {
                    if (!c.lingering()) {
                        s.session().ended();
                    }
                    c.close();
                } else if (n > 0 && !c.lingering()) {
                    s.session().received(readBuffer.flip()); // what a refused client still sends is dropped
                }
            }
        } catch (IOException e) {
            c.close(); // the client went away, or the session ended it
        }
    }

    /** Closes every client past its time: lingering after a refusal, or as its session says. */
    private void sweep(long now) {
        for (var c : admission.all()) {
            var served = (Served) keyOf(c);
            if (c.isOpen() && (c.lingering() ? now - c.since() > LINGER_MILLIS : served != null && served.session().expired(now))) {
                c.close();
            }
        }
    }

    private static Object keyOf(Connection c) {
        return c.key() == null ? null : c.key().attachment();
    }

    private void forget(Connection c) {
        admission.remove(c);
        connected = admission.size();
    }

    /** Clients connected now. */
    public int connected() {
        return connected;
    }

    /** Why it cannot answer now, or null. */
    public String unhealthy() {
        return failure;
    }

    /** Stops answering, closes every client and the servers. */
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
        for (var c : admission.all()) {
            c.close();
        }
        for (var server : servers) {
            try {
                server.close();
            } catch (IOException e) {
                // closing
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            // closing
        }
    }
}
