package org.poplock.readlog.http;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.net.ExtendedSocketOptions;

/**
 * A small HTTP/1.1 server for readlog's two tiny endpoints (Dovecot's reports, {@code /metrics}
 * and {@code /health}): one thread and one selector. Every client is attacker input, and one that
 * is slow, stalled or hostile costs only itself: it holds a buffer of at most
 * {@link Limits#maxHeaderBytes} plus {@link Limits#maxBody}, never a thread, and is closed when
 * its request is not whole within {@link Limits#requestTime}. Past {@link Limits#maxConnections}
 * in all or {@link Limits#maxPerAddress} from one address, a new client is taken and the one of
 * them that has been waiting longest without a whole request is closed: a flood of idle clients
 * cannot lock out the real one, which sends its request at once.
 *
 * <p>The handler runs on this thread: it must only look at the request and answer (it queues,
 * counts, formats), never wait. A request with {@code Content-Length} (no chunked bodies: Dovecot
 * and every scraper send a length), kept alive as HTTP/1.1 says until {@link Limits#idle}; a
 * refused request is answered and its connection closed.
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

    /** How long a refused client may go on sending before its connection is closed: it then reads the answer, not a reset. */
    private static final long LINGER_MILLIS = 2000;
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Limits limits;
    private final Handler handler;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread thread;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(16 * 1024);
    private final Map<InetAddress, List<Connection>> byAddress = new HashMap<>();
    private final List<Connection> connections = new ArrayList<>();
    private volatile boolean running = true;

    private HttpListener(Limits limits, Handler handler, ServerSocketChannel server, Selector selector, String name) {
        this.limits = limits;
        this.handler = handler;
        this.server = server;
        this.selector = selector;
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
    }

    /** Listens on {@code address} and starts answering; IOException (from the bind) when it cannot. */
    public static HttpListener start(InetSocketAddress address, Limits limits, Handler handler, String name) throws IOException {
        var server = ServerSocketChannel.open();
        Selector selector = null;
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(address, 128);
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            server.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
        var listener = new HttpListener(limits, handler, server, selector, name);
        listener.thread.start();
        return listener;
    }

    private void loop() {
        long nextSweep = 0;
        while (running) {
            try {
                selector.select(250);
                for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    var key = it.next();
                    it.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else if (key.attachment() instanceof Connection c) {
                        c.ready(key);
                    }
                }
                long now = System.currentTimeMillis();
                if (now >= nextSweep) {
                    sweep(now);
                    nextSweep = now + 250;
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    handler.refused("listener", "the listener met " + e + "; going on");
                }
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            InetAddress remote;
            try {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                remote = ((InetSocketAddress) channel.getRemoteAddress()).getAddress();
            } catch (IOException e) {
                channel.close();
                continue;
            }
            var same = byAddress.computeIfAbsent(remote, a -> new ArrayList<>());
            if (same.size() >= limits.maxPerAddress()) {
                handler.refused("too many", "more than " + limits.maxPerAddress() + " connections from " + remote.getHostAddress()
                        + "; closing the one of them waiting longest");
                longestWaiting(same).close();
            } else if (connections.size() >= limits.maxConnections()) {
                handler.refused("too many", "more than " + limits.maxConnections() + " connections; closing the one waiting longest");
                longestWaiting(connections).close();
            }
            var connection = new Connection(channel, remote, System.currentTimeMillis());
            connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
            connections.add(connection);
            byAddress.computeIfAbsent(remote, a -> new ArrayList<>()).add(connection);
        }
    }

    private static Connection longestWaiting(List<Connection> among) {
        Connection oldest = among.get(0);
        for (var c : among) {
            if (c.since < oldest.since) {
                oldest = c;
            }
        }
        return oldest;
    }

    /** Closes every client past its time: mid-request (trouble), idle (as HTTP's keep-alive), refused and lingering. */
    private void sweep(long now) {
        for (var c : List.copyOf(connections)) {
            if (c.lingering) {
                if (now - c.since > LINGER_MILLIS) {
                    c.close();
                }
            } else if (c.length > 0 || c.writing != null || c.requests == 0) {
                if (now - c.since > limits.requestTime().toMillis()) {
                    if (c.length > 0 || c.writing != null) {
                        handler.refused("slow", "a client from " + c.remote.getHostAddress() + " sent no whole request within "
                                + limits.requestTime().toSeconds() + " s; closed without an answer");
                    }
                    c.close();
                }
            } else if (now - c.since > limits.idle().toMillis()) {
                c.close();
            }
        }
    }

    /** One client: bytes in until a request is whole, its answer out, again while kept alive. */
    private final class Connection {
        private final SocketChannel channel;
        private final InetAddress remote;
        SelectionKey key;
        /** When the wait now under way began: accepted, the current request's first byte, the last answer, the refusal. */
        long since;
        private byte[] in = new byte[512];
        int length;
        ByteBuffer writing;
        int requests;
        boolean lingering;
        private boolean continued;
        private boolean closeAfterWrite;

        Connection(SocketChannel channel, InetAddress remote, long now) {
            this.channel = channel;
            this.remote = remote;
            this.since = now;
        }

        void ready(SelectionKey key) {
            try {
                if (key.isWritable()) {
                    flush();
                }
                if (key.isValid() && key.isReadable()) {
                    read();
                }
            } catch (IOException e) {
                close(); // the client went away
            }
        }

        private void read() throws IOException {
            readBuffer.clear();
            int n = channel.read(readBuffer);
            if (n < 0) {
                if (length > 0 && !lingering) {
                    handler.refused("cut", "a client from " + remote.getHostAddress() + " went away mid-request");
                }
                close();
                return;
            }
            if (lingering || n == 0) {
                return; // what a refused client still sends is dropped
            }
            if (length == 0 && writing == null) {
                since = System.currentTimeMillis(); // a request begins: its time runs from here
            }
            int room = limits.maxHeaderBytes() + limits.maxBody() - length;
            if (n > room) {
                refuse(413, "size", "a request over " + (limits.maxHeaderBytes() + limits.maxBody()) / 1024 + " KiB; answered 413");
                return;
            }
            if (length + n > in.length) {
                in = Arrays.copyOf(in, Math.min(Math.max(in.length * 2, length + n), limits.maxHeaderBytes() + limits.maxBody()));
            }
            readBuffer.flip();
            readBuffer.get(in, length, n);
            length += n;
            quickAck();
            process();
        }

        /** Answers every request now whole in the buffer, in order; stops while an answer is still being written. */
        private void process() throws IOException {
            while (length > 0 && writing == null && !lingering) {
                int end = headerEnd();
                if (end < 0) {
                    if (length > limits.maxHeaderBytes()) {
                        refuse(431, "header", "a request whose header is over " + limits.maxHeaderBytes() / 1024 + " KiB; answered 431");
                    }
                    return;
                }
                var head = new String(in, 0, end, StandardCharsets.ISO_8859_1).split("\r?\n");
                var line = head[0].split(" ", -1);
                if (line.length != 3 || !line[2].startsWith("HTTP/1.") || line[0].isEmpty() || line[1].isEmpty()) {
                    refuse(400, "malformed", "a request that is no HTTP/1.x request line; answered 400");
                    return;
                }
                var headers = new HashMap<String, String>();
                for (int i = 1; i < head.length; i++) {
                    int colon = head[i].indexOf(':');
                    if (colon <= 0) {
                        refuse(400, "malformed", "a request with a header line that is no NAME: VALUE; answered 400");
                        return;
                    }
                    headers.putIfAbsent(head[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), head[i].substring(colon + 1).trim());
                }
                if (headers.containsKey("transfer-encoding")) {
                    refuse(411, "length", "a request without Content-Length (a chunked body); answered 411");
                    return;
                }
                long bodyLength;
                try {
                    bodyLength = Long.parseLong(headers.getOrDefault("content-length", "0"));
                } catch (NumberFormatException e) {
                    bodyLength = -1;
                }
                if (bodyLength < 0) {
                    refuse(400, "malformed", "a request whose Content-Length is no number; answered 400");
                    return;
                }
                if (bodyLength > limits.maxBody()) {
                    refuse(413, "size", "a request body over " + Math.max(1, limits.maxBody() / 1024) + " KiB; answered 413");
                    return;
                }
                int bodyStart = bodyStart(end);
                if (length - bodyStart < bodyLength) {
                    if (!continued && "100-continue".equalsIgnoreCase(headers.get("expect"))) {
                        continued = true;
                        channel.write(ByteBuffer.wrap(CONTINUE)); // a few bytes into an empty socket buffer
                    }
                    return;
                }
                var body = Arrays.copyOfRange(in, bodyStart, bodyStart + (int) bodyLength);
                int used = bodyStart + (int) bodyLength;
                System.arraycopy(in, used, in, 0, length - used);
                length -= used;
                continued = false;
                requests++;
                boolean keepAlive = line[2].equals("HTTP/1.1") ? !"close".equalsIgnoreCase(headers.get("connection"))
                        : "keep-alive".equalsIgnoreCase(headers.get("connection"));
                Response response;
                try {
                    response = handler.handle(new Request(line[0], line[1], headers, body, remote));
                } catch (RuntimeException e) {
                    handler.refused("handler", "a request failed: " + e + "; answered 500");
                    response = Response.refusal(500);
                }
                answer(response, keepAlive && !response.close(), line[0].equals("HEAD"));
            }
        }

        /**
         * A client that writes its header and its body apart (Java's HttpClient does) holds the body
         * back until the header is acknowledged (Nagle), and Linux delays that acknowledgement by
         * up to 40 ms: acknowledged at once instead (the kernel turns this off again by itself).
         */
        private void quickAck() {
            try {
                channel.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
            } catch (IOException | UnsupportedOperationException e) {
                // not Linux: the delay stays
            }
        }

        private int headerEnd() {
            for (int i = 0; i + 1 < length; i++) {
                if (in[i] == '\n' && (in[i + 1] == '\n' || in[i + 1] == '\r' && i + 2 < length && in[i + 2] == '\n')) {
                    return i > 0 && in[i - 1] == '\r' ? i - 1 : i;
                }
            }
            return -1;
        }

        private int bodyStart(int end) {
            int i = end;
            for (int newlines = 0; newlines < 2; i++) {
                if (in[i] == '\n') {
                    newlines++;
                }
            }
            return i;
        }

        private void refuse(int status, String kind, String line) throws IOException {
            handler.refused(kind, line);
            answer(Response.refusal(status), false, false);
        }

        private void answer(Response response, boolean keepAlive, boolean headOnly) throws IOException {
            var head = new StringBuilder("HTTP/1.1 ").append(response.status()).append(' ').append(reason(response.status())).append("\r\n");
            if (response.type() != null) {
                head.append("Content-Type: ").append(response.type()).append("\r\n");
            }
            head.append("Content-Length: ").append(response.body().length).append("\r\n");
            head.append(keepAlive ? "" : "Connection: close\r\n").append("\r\n");
            var bytes = head.toString().getBytes(StandardCharsets.US_ASCII);
            var body = headOnly ? new byte[0] : response.body();
            var out = ByteBuffer.allocate(bytes.length + body.length).put(bytes).put(body).flip();
            writing = out;
            closeAfterWrite = !keepAlive;
            since = System.currentTimeMillis();
            flush();
        }

        private void flush() throws IOException {
            channel.write(writing);
            if (writing.hasRemaining()) {
                key.interestOps(SelectionKey.OP_WRITE);
                return;
            }
            writing = null;
            since = System.currentTimeMillis();
            if (closeAfterWrite) {
                // Read and drop what the client still sends for a moment, so that it reads the answer, not a reset.
                lingering = true;
                length = 0;
                in = new byte[0];
                channel.shutdownOutput();
            }
            key.interestOps(SelectionKey.OP_READ);
            if (!lingering) {
                process(); // a pipelined request already here
            }
        }

        void close() {
            key.cancel();
            try {
                channel.close();
            } catch (IOException e) {
                // already gone
            }
            connections.remove(this);
            var same = byAddress.get(remote);
            if (same != null) {
                same.remove(this);
                if (same.isEmpty()) {
                    byAddress.remove(remote);
                }
            }
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    /** Stops listening and closes every client. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (var c : List.copyOf(connections)) {
            c.close();
        }
        try {
            server.close();
            selector.close();
        } catch (IOException e) {
            // closing
        }
    }
}
