package org.poplock.readlog.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import org.poplock.readlog.http.HttpListener.Handler;
import org.poplock.readlog.http.HttpListener.Limits;
import org.poplock.readlog.http.HttpListener.Request;
import org.poplock.readlog.http.HttpListener.Response;
import org.poplock.readlog.listen.Connection;
import org.poplock.readlog.listen.EventLoop;

/**
 * One HTTP client: bytes in until a request is whole, its answer out, again while kept alive. A
 * request with {@code Content-Length} (no chunked bodies: Dovecot and every scraper send a
 * length), kept alive as HTTP/1.1 says until {@link Limits#idle}; a refused request is answered
 * and its connection closed.
 */
final class HttpSession implements EventLoop.Session {

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Connection connection;
    private final Limits limits;
    private final Handler handler;
    private byte[] in = new byte[512];
    private int length;
    private int requests;
    private boolean continued;
    private boolean refused;

    HttpSession(Connection connection, Limits limits, Handler handler) {
        this.connection = connection;
        this.limits = limits;
        this.handler = handler;
    }

    @Override
    public void received(ByteBuffer bytes) throws IOException {
        int n = bytes.remaining();
        if (refused) {
            return;
        }
        if (length == 0 && !connection.writing()) {
            connection.waitingSince(System.currentTimeMillis()); // a request begins: its time runs from here
        }
        int room = limits.maxHeaderBytes() + limits.maxBody() - length;
        if (n > room) {
            refuse(413, "size", "a request over " + (limits.maxHeaderBytes() + limits.maxBody()) / 1024 + " KiB; answered 413");
            return;
        }
        if (length + n > in.length) {
            in = Arrays.copyOf(in, Math.min(Math.max(in.length * 2, length + n), limits.maxHeaderBytes() + limits.maxBody()));
        }
        bytes.get(in, length, n);
        length += n;
        connection.quickAck();
        process();
    }

    @Override
    public void ended() {
        if (length > 0 && !refused) {
            handler.refused("cut", "a client from " + connection.remote().getHostAddress() + " went away mid-request");
        }
    }

    @Override
    public void flushed() throws IOException {
        connection.waitingSince(System.currentTimeMillis());
        process(); // a pipelined request already here
    }

    @Override
    public boolean expired(long now) {
        long waited = now - connection.since();
        if (length > 0 || connection.writing() || requests == 0) {
            if (waited > limits.requestTime().toMillis()) {
                if (length > 0 || connection.writing()) {
                    handler.refused("slow", "a client from " + connection.remote().getHostAddress() + " sent no whole request within "
                            + limits.requestTime().toSeconds() + " s; closed without an answer");
                }
                return true;
            }
            return false;
        }
        return waited > limits.idle().toMillis();
    }

    /** Answers every request now whole in the buffer, in order; stops while an answer is still being written. */
    private void process() throws IOException {
        while (length > 0 && !connection.writing() && !refused) {
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
                    connection.write(ByteBuffer.wrap(CONTINUE));
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
                response = handler.handle(new Request(line[0], line[1], headers, body, connection.remote()));
            } catch (RuntimeException e) {
                handler.refused("handler", "a request failed: " + e + "; answered 500");
                response = Response.refusal(500);
            }
            answer(response, keepAlive && !response.close(), line[0].equals("HEAD"));
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
        connection.waitingSince(System.currentTimeMillis());
        connection.write(ByteBuffer.allocate(bytes.length + body.length).put(bytes).put(body).flip());
        if (!keepAlive) {
            refused = true; // what the client still sends is dropped
            length = 0;
            in = new byte[0];
            connection.closeAfterWriting();
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
}
