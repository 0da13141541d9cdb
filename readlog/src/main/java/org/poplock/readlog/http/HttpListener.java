package org.poplock.readlog.http;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.poplock.readlog.listen.Binding;
import org.poplock.readlog.listen.EventLoop;

/**
 * A small HTTP/1.1 server for readlog's two tiny endpoints (Dovecot's reports, {@code /metrics}
 * and {@code /health}) on an {@link EventLoop}: one thread and one selector. Every client is
 * attacker input, and one that is slow, stalled or hostile costs only itself: it holds a buffer of
 * at most {@link Limits#maxHeaderBytes} plus {@link Limits#maxBody}, never a thread, and is closed
 * when its request is not whole within {@link Limits#requestTime}. Past
 * {@link Limits#maxConnections} in all or {@link Limits#maxPerAddress} from one address, a new
 * client is taken and the one of them that has been waiting longest is closed.
 *
 * <p>The handler runs on the loop's thread: it must only look at the request and answer (it
 * queues, counts, formats), never wait. Framing is {@link HttpSession}'s.
 */
public final class HttpListener implements AutoCloseable {

    /**
     * {@code maxConnections} at once in all and {@code maxPerAddress} from one client address;
     * a request line and headers of at most {@code maxHeaderBytes}, a body of at most
     * {@code maxBody}; a request whole within {@code requestTime} of its first byte (of the
     * connection, for the first); a kept-alive connection idle at most {@code idle}.
     */
    public record Limits(int maxConnections, int maxPerAddress, int maxHeaderBytes, int maxBody, Duration requestTime, Duration idle) {
    }

    /** A whole request: header names in lower case, the first of each kept. */
    public record Request(String method, String target, Map<String, String> headers, byte[] body, InetAddress remote) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** An answer; {@code type} null for none, {@code close} to end the connection after it (a refusal). */
    public record Response(int status, String type, byte[] body, boolean close) {
        public static Response of(int status, String type, String body) {
            return new Response(status, type, body.getBytes(StandardCharsets.UTF_8), false);
        }

        public static Response refusal(int status) {
            return new Response(status, null, new byte[0], true);
        }
    }

    /** What the endpoint does with a request, and hears of a client the listener itself refused. */
    public interface Handler {
        Response handle(Request request);

        /** One line of trouble of this {@code kind} (the caller rate-limits): a request too big, too slow, malformed. */
        void refused(String kind, String line);
    }

    private final EventLoop loop;

    private HttpListener(EventLoop loop) {
        this.loop = loop;
    }

    /** Listens on {@code address} and starts answering; IOException (from the bind) when it cannot. */
    public static HttpListener start(InetSocketAddress address, Limits limits, Handler handler, String name) throws IOException {
        var server = Binding.tcp(address);
        EventLoop loop;
        try {
            loop = new EventLoop(name, 1, List.of(server), limits.maxConnections(), limits.maxPerAddress(), null,
                    connection -> new HttpSession(connection, limits, handler), handler::refused);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        loop.start();
        return new HttpListener(loop);
    }

    /** Why it cannot answer now (its thread ended), or null. */
    public String unhealthy() {
        return loop.unhealthy();
    }

    /** Stops listening and closes every client. */
    @Override
    public void close() {
        loop.close();
    }
}
