package org.poplock.readlog.socketmap;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.listen.Binding;
import org.poplock.readlog.listen.EventLoop;
import org.poplock.readlog.listen.Listener;
import org.poplock.readlog.policy.PolicyAddress;

/**
 * readlog's socketmap listener: {@link SocketmapCodec} requests answered by
 * {@link SocketmapAnswers}, on one thread's {@link EventLoop} ({@link SocketmapSession} per client),
 * so a client costs a connection and {@link SocketmapCodec#MAX_REQUEST} bytes at most, never a thread. Connections stay open for as
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

    private final Settings settings;
    private final SocketmapAnswers answers;
    private final Troubles troubles;
    private final LongAdder refused = new LongAdder();
    /** The unix sockets this listener bound: removed at close, never another's. */
    private final List<Path> made = new ArrayList<>();
    private EventLoop loop;

    private SocketmapServer(Settings settings, SocketmapAnswers answers, Consumer<String> log) {
        this.settings = settings;
        this.answers = answers;
        this.troubles = new Troubles("socketmap: ", log);
    }

    /** Listens on every address and starts answering; IOException with one line when an address cannot be taken. */
    public static SocketmapServer start(Settings settings, SocketmapAnswers answers, Consumer<String> log) throws IOException {
        var server = new SocketmapServer(settings, answers, log);
        server.start();
        return server;
    }

    @Override
    public String name() {
        return "socketmap";
    }

    @Override
    public void start() throws IOException {
        var bound = new ArrayList<ServerSocketChannel>();
        try {
            for (var address : settings.addresses()) {
                bound.add(listen(address));
            }
            loop = new EventLoop("socketmap", 1, bound, MAX_CONNECTIONS, settings.perClient(), "--socketmap-connections-per-client",
                    connection -> new SocketmapSession(connection, answers, troubles, refused), troubles::say);
        } catch (IOException | RuntimeException e) {
            bound.forEach(SocketmapServer::closeQuietly);
            close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        loop.start();
    }

    private ServerSocketChannel listen(PolicyAddress address) throws IOException {
        if (address.unix() == null) {
            try {
                return Binding.tcp(address.inetAddress());
            } catch (IOException e) {
                throw new IOException("--socketmap " + address + ": cannot listen: " + e.getMessage(), e);
            }
        }
        var channel = Binding.unix("--socketmap " + address, address.unix(), settings.mode(), settings.group());
        made.add(address.unix());
        return channel;
    }

    @Override
    public String unhealthy() {
        return loop == null ? null : loop.unhealthy();
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
        if (loop != null) {
            loop.close();
        }
        for (var path : made) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // a stale socket is replaced at the next start
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing after a failed start
        }
    }
}
