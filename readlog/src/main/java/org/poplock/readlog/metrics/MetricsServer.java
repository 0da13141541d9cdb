package org.poplock.readlog.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * {@code /metrics} (Prometheus text) and {@code /health} (200 "ok" while readlog publishes, 503
 * and the reason while it cannot), on the JDK's own HTTP server: two endpoints need no library.
 * Its two threads read {@link Metrics} only; a slow scraper cannot hold up a round.
 */
public final class MetricsServer implements AutoCloseable {

    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /** Listens on {@code inet:HOST:PORT} (or HOST:PORT); IOException with one line when it cannot. */
    public static MetricsServer start(String address, Metrics metrics) throws IOException {
        org.poplock.readlog.ListenAddress where;
        try {
            where = org.poplock.readlog.ListenAddress.parse("--metrics", address, "inet:127.0.0.1:9101");
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        HttpServer server;
        try {
            server = HttpServer.create(where.socketAddress(), 16);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("--metrics " + address + ": cannot listen: " + e.getMessage(), e);
        }
        server.createContext("/metrics", exchange -> reply(exchange, 200, "text/plain; version=0.0.4", metrics.text()));
        server.createContext("/health", exchange -> {
            var problem = metrics.unhealthy();
            reply(exchange, problem == null ? 200 : 503, "text/plain", problem == null ? "ok\n" : problem + "\n");
        });
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            var t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return new MetricsServer(server);
    }

    private static void reply(HttpExchange exchange, int status, String type, String body) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            var bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
