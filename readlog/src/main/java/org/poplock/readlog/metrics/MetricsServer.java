package org.poplock.readlog.metrics;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;
import org.poplock.readlog.ListenAddress;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.http.HttpListener;
import org.poplock.readlog.listen.Listener;

/**
 * {@code /metrics} (Prometheus text) and {@code /health} (200 "ok" while readlog publishes, 503
 * and the reason while it cannot), on readlog's small HTTP listener: two endpoints need no
 * library. Its one thread reads {@link Metrics} only; a slow scraper cannot hold up a round, and
 * a stalled client cannot hold up another.
 */
public final class MetricsServer implements Listener {

    /** Scrapers and health checks: a few at once, a GET with no body, sent at once. */
    static final HttpListener.Limits LIMITS = new HttpListener.Limits(64, 16, 8 * 1024, 0, Duration.ofSeconds(5), Duration.ofSeconds(30));

    private final String address;
    private final Metrics metrics;
    private final Troubles troubles;
    private HttpListener listener;

    /** For {@code inet:HOST:PORT} (or HOST:PORT), answering from {@code metrics}. */
    public MetricsServer(String address, Metrics metrics, Consumer<String> log) {
        this.address = address;
        this.metrics = metrics;
        this.troubles = new Troubles("metrics: ", log);
    }

    /** Made and started; IOException with one line when it cannot listen. */
    public static MetricsServer start(String address, Metrics metrics, Consumer<String> log) throws IOException {
        var server = new MetricsServer(address, metrics, log);
        server.start();
        return server;
    }

    @Override
    public void start() throws IOException {
        ListenAddress where;
        try {
            where = ListenAddress.parse("--metrics", address, "inet:127.0.0.1:9101");
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        try {
            listener = HttpListener.start(where.socketAddress(), LIMITS, new HttpListener.Handler() {
                @Override
                public HttpListener.Response handle(HttpListener.Request request) {
                    return answer(request, metrics);
                }

                @Override
                public void refused(String kind, String line) {
                    troubles.say(kind, line);
                }
            }, "metrics-http");
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("--metrics " + address + ": cannot listen: " + e.getMessage(), e);
        }
    }

    private static HttpListener.Response answer(HttpListener.Request request, Metrics metrics) {
        if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
            return HttpListener.Response.refusal(405);
        }
        var path = request.target().replaceFirst("[?#].*", "");
        if (path.startsWith("/metrics")) {
            return HttpListener.Response.of(200, "text/plain; version=0.0.4", metrics.text());
        }
        if (path.startsWith("/health")) {
            var problem = metrics.unhealthy();
            return HttpListener.Response.of(problem == null ? 200 : 503, "text/plain", problem == null ? "ok\n" : problem + "\n");
        }
        return HttpListener.Response.of(404, "text/plain", "/metrics or /health\n");
    }

    @Override
    public String name() {
        return "metrics " + address;
    }

    @Override
    public String unhealthy() {
        return listener == null ? null : listener.unhealthy();
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close();
        }
    }
}
