package org.poplock.readlog.listen;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The same sessions as an {@link EventLoop}'s, each client on a thread of its own (a small stack),
 * with a reaper that closes those past their time. For the policy service: measured side by side
 * with the event loop on two cores shared with its clients (bench/policy, bench/hostile), it keeps
 * more of its throughput under attack, because each busy client's thread gets its share of the
 * cores, and costs the same CPU per request.
 */
public final class ThreadPerConnection implements AutoCloseable {

    private static final long SWEEP_MILLIS = 250;

    private final String name;
    private final List<ServerSocketChannel> servers;
    private final Function<Connection, EventLoop.Session> sessions;
    private final BiConsumer<String, String> trouble;
    private final Admission admission;
    private final Map<Connection, EventLoop.Session> served = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger numbers = new AtomicInteger();
    private volatile boolean running = true;
    private volatile String failure;

    /** Serves the clients of {@code servers} (bound, blocking) within the caps; {@code trouble} hears one line per kind of trouble. */
    public ThreadPerConnection(String name, List<ServerSocketChannel> servers, int maxConnections, int maxPerAddress, String perAddressOption,
            Function<Connection, EventLoop.Session> sessions, BiConsumer<String, String> trouble) {
        this.name = name;
        this.servers = servers;
        this.sessions = sessions;
        this.trouble = trouble;
        this.admission = new Admission(new Admission.Caps(maxConnections, maxPerAddress, perAddressOption), trouble);
    }

    public void start() {
        for (var server : servers) {
            threads.add(thread(() -> accept(server), name + "-accept"));
        }
        threads.add(thread(this::reap, name + "-reaper"));
        threads.forEach(Thread::start);
    }

    private Thread thread(Runnable body, String threadName) {
        var t = new Thread(null, () -> {
            try {
                body.run();
            } catch (Throwable e) {
                if (running) {
                    failure = "its thread " + threadName + " ended: " + e;
                    trouble.accept("ended", "the listener's thread " + threadName + " ended: " + e);
                }
            }
        }, threadName + "-" + numbers.incrementAndGet(), 256 * 1024);
        t.setDaemon(true);
        return t;
    }

    private void accept(ServerSocketChannel server) {
        while (running) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                if (running && server.isOpen()) {
                    trouble.accept("accept", "cannot accept: " + e.getMessage());
                    pause();
                    continue;
                }
                return;
            }
            InetAddress remote = null;
            try {
                if (channel.getRemoteAddress() instanceof InetSocketAddress inet) {
                    remote = inet.getAddress();
                }
            } catch (IOException e) {
                // gone already: its first read ends it
            }
            var connection = new Connection(channel, remote, System.currentTimeMillis(), c -> {
                admission.remove(c);
                served.remove(c);
            });
            var session = sessions.apply(connection);
            admission.admit(connection);
            served.put(connection, session);
            thread(() -> serve(channel, connection, session), name).start();
        }
    }

    /** One client: what it sends handed to its session until it closes, misbehaves or is closed. */
    private static void serve(SocketChannel channel, Connection connection, EventLoop.Session session) {
        var buffer = ByteBuffer.allocate(4096);
        try {
            while (true) {
                buffer.clear();
                if (channel.read(buffer) < 0) {
                    session.ended();
                    return;
                }
                session.received(buffer.flip());
            }
        } catch (IOException e) {
            // trouble said by the session, closed by the reaper, or by the client
        } finally {
            connection.close();
        }
    }

    /** Closes clients past their time, as their sessions say. */
    private void reap() {
        while (running) {
            try {
                Thread.sleep(SWEEP_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.currentTimeMillis();
            served.forEach((c, session) -> {
                if (session.expired(now)) {
                    c.close();
                }
            });
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int connected() {
        return admission.size();
    }

    public String unhealthy() {
        return failure;
    }

    /** Stops accepting and closes every client. */
    @Override
    public void close() {
        running = false;
        for (var server : servers) {
            try {
                server.close();
            } catch (IOException e) {
                // closing
            }
        }
        for (var c : admission.all()) {
            c.close();
        }
        threads.forEach(Thread::interrupt);
    }
}
