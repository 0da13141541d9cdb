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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A few threads, a selector each, serving every client of a listener: a client holds a buffer and
 * its session's state, never a thread, so a slow, stalled or hostile one costs only itself, and a
 * busy service spends no time switching between hundreds of threads. The first thread accepts and
 * hands each client to the threads in turn. Sessions frame and answer on their client's thread, so
 * they must only look at what arrived and answer (queue, count, format), never wait.
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
    private final List<Worker> workers = new ArrayList<>();
    private int next;
    private volatile boolean running = true;
    private volatile String failure;

    /**
     * Serves the clients of {@code servers} (bound, still blocking) on {@code threads} threads with a
     * session each from {@code sessions}, within the caps; {@code trouble} hears one line per kind
     * of trouble (the caller rate-limits).
     */
    public EventLoop(String name, int threads, List<ServerSocketChannel> servers, int maxConnections, int maxPerAddress,
            String perAddressOption, Function<Connection, Session> sessions, BiConsumer<String, String> trouble) throws IOException {
        this.servers = servers;
        this.sessions = sessions;
        this.trouble = trouble;
        this.admission = new Admission(new Admission.Caps(maxConnections, maxPerAddress, perAddressOption), trouble);
        try {
            for (int i = 0; i < threads; i++) {
                workers.add(new Worker(threads == 1 ? name : name + "-" + (i + 1)));
            }
            for (var server : servers) {
                server.configureBlocking(false);
                server.register(workers.get(0).selector, SelectionKey.OP_ACCEPT);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public void start() {
        workers.forEach(w -> w.thread.start());
    }

    /** A client and its session. */
    private record Served(Connection connection, Session session) {
    }

    /** One thread and its selector, with the clients handed to it. */
    private final class Worker {
        final Selector selector = Selector.open();
        final Thread thread;
        final ByteBuffer readBuffer = ByteBuffer.allocate(16 * 1024);
        final ConcurrentLinkedQueue<SocketChannel> handed = new ConcurrentLinkedQueue<>();
        final Set<Served> mine = new HashSet<>();

        Worker(String name) throws IOException {
            thread = new Thread(this::loop, name);
            thread.setDaemon(true);
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
            for (SocketChannel channel; (channel = handed.poll()) != null; ) {
                take(channel);
            }
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

        private void take(SocketChannel channel) throws IOException {
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
                return;
            }
            var connection = new Connection(channel, remote, System.currentTimeMillis(), admission::remove);
            admission.admit(connection);
            var served = new Served(connection, sessions.apply(connection));
            connection.register(channel.register(selector, SelectionKey.OP_READ, served));
            mine.add(served);
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
            if (!c.isOpen()) {
                mine.remove(s);
            }
        }

        /** Closes every client past its time: lingering after a refusal, or as its session says. */
        private void sweep(long now) {
            for (var it = mine.iterator(); it.hasNext(); ) {
                var s = it.next();
                var c = s.connection();
                if (c.isOpen() && (c.lingering() ? now - c.since() > LINGER_MILLIS : s.session().expired(now))) {
                    c.close();
                }
                if (!c.isOpen()) {
                    it.remove(); // also those closed for the caps, from another thread
                }
            }
        }
    }

    private void accept(ServerSocketChannel server) throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            var worker = workers.get(next++ % workers.size());
            if (worker == workers.get(0)) {
                worker.take(channel);
            } else {
                worker.handed.add(channel);
                worker.selector.wakeup();
            }
        }
    }

    /** Clients connected now. */
    public int connected() {
        return admission.size();
    }

    /** Why it cannot answer now, or null. */
    public String unhealthy() {
        return failure;
    }

    /** Stops answering, closes every client and the servers. */
    @Override
    public void close() {
        running = false;
        for (var w : workers) {
            w.selector.wakeup();
            if (w.thread.isAlive() && w.thread != Thread.currentThread()) {
                try {
                    w.thread.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (var c : admission.all()) {
            c.close();
        }
        for (var server : servers) {
            closeQuietly(server);
        }
        for (var w : workers) {
            closeQuietly(w.selector);
            for (SocketChannel channel; (channel = w.handed.poll()) != null; ) {
                closeQuietly(channel);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing
        }
    }
}
