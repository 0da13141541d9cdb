package org.poplock.readlog.authpolicy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.poplock.common.address.IpAddress;
import org.poplock.readlog.ListenAddress;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.source.LoginSource;

/**
 * Dovecot's authentication policy server ({@code auth_policy_server_url}), as a source of logins:
 * Dovecot reports every authentication itself, so nothing is parsed from a log. It answers every
 * {@code command=allow} at once with {@code {"status":0}} (poplock never refuses a login; Dovecot
 * treats the service as advisory when it is down) and takes a {@code command=report} with
 * {@code "success":true} and a POP3 or IMAP protocol as a login of {@code remote} by {@code login}.
 *
 * <p>Every request must carry {@code Authorization: Bearer SECRET}, compared in constant time; a
 * request without it, a body over {@link #MAX_BODY} or that is no JSON object, a client slower
 * than the JDK server's request time: a 4xx or a closed connection and one line (at most one a
 * minute per kind), nothing granted. The handler threads only queue logins; the daemon's loop
 * takes them in its round like lines, so no request can hold up a publish.
 */
public final class AuthPolicyServer implements LoginSource {

    public static final int MAX_BODY = 64 * 1024;
    static final int QUEUE_LOGINS = 100_000;
    private static final byte[] ALLOW = "{\"status\":0}".getBytes(StandardCharsets.US_ASCII);

    /** The listener's settings, checked: where, and the secret every request must show. */
    public record Settings(ListenAddress address, byte[] authorization) {

        /** {@code inet:HOST:PORT} and the file holding the secret (a trailing newline ignored). */
        public static Settings of(String address, Path secretFile) {
            var where = ListenAddress.parse("--dovecot-policy", address, "inet:127.0.0.1:4001");
            if (secretFile == null) {
                throw new IllegalArgumentException("--dovecot-policy needs --dovecot-policy-secret-file FILE (the Bearer secret Dovecot sends)");
            }
            String secret;
            try {
                secret = Files.readString(secretFile, StandardCharsets.UTF_8).replaceFirst("\r?\n$", "");
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new IllegalArgumentException("--dovecot-policy-secret-file " + secretFile + ": cannot read it: " + e.getMessage());
            }
            if (secret.length() < 16 || !secret.matches("[\\x21-\\x7e]+")) {
                throw new IllegalArgumentException("--dovecot-policy-secret-file " + secretFile
                        + ": the secret must be one word of at least 16 printable ASCII characters");
            }
            return new Settings(where, ("Bearer " + secret).getBytes(StandardCharsets.US_ASCII));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Settings s && address.equals(s.address) && java.util.Arrays.equals(authorization, s.authorization);
        }

        @Override
        public int hashCode() {
            return address.hashCode();
        }

        @Override
        public String toString() {
            return address.toString(); // never the secret
        }
    }

    private final HttpServer server;
    private final ExecutorService threads;
    private final Settings settings;
    private final Clock clock;
    private final Troubles troubles;
    private final BlockingQueue<Login> logins = new ArrayBlockingQueue<>(QUEUE_LOGINS);
    private final AtomicLong reports = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    private AuthPolicyServer(HttpServer server, ExecutorService threads, Settings settings, Clock clock, Consumer<String> log) {
        this.server = server;
        this.threads = threads;
        this.settings = settings;
        this.clock = clock;
        this.troubles = new Troubles("dovecot-policy: ", log);
    }

    /** Listens; IOException with one line when it cannot. */
    public static AuthPolicyServer start(Settings settings, Clock clock, Consumer<String> log) throws IOException {
        HttpServer http;
        try {
            http = HttpServer.create(settings.address().socketAddress(), 64);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("--dovecot-policy " + settings + ": cannot listen: " + e.getMessage(), e);
        }
        var threads = Executors.newFixedThreadPool(4, r -> {
            var t = new Thread(r, "dovecot-policy");
            t.setDaemon(true);
            return t;
        });
        var server = new AuthPolicyServer(http, threads, settings, clock, log);
        http.createContext("/", server::handle);
        http.setExecutor(threads);
        http.start();
        return server;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                refuse(exchange, 405, "method", "a " + org.poplock.common.address.Printable.word(exchange.getRequestMethod())
                        + " request (Dovecot posts); answered 405");
                return;
            }
            var shown = exchange.getRequestHeaders().getFirst("Authorization");
            if (shown == null || !MessageDigest.isEqual(shown.getBytes(StandardCharsets.UTF_8), settings.authorization())) {
                refuse(exchange, 401, "secret", "a request from " + exchange.getRemoteAddress().getAddress().getHostAddress()
                        + (shown == null ? " without" : " with a wrong") + " Authorization: Bearer secret; answered 401");
                return;
            }
            var command = command(exchange.getRequestURI().getRawQuery());
            if (!command.equals("allow") && !command.equals("report")) {
                refuse(exchange, 400, "command", "a request with no command=allow or command=report; answered 400");
                return;
            }
            var body = exchange.getRequestBody().readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                refuse(exchange, 413, "size", "a request body over " + MAX_BODY / 1024 + " KiB; answered 413");
                return;
            }
            Map<String, Object> request;
            try {
                request = Json.object(new String(body, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                refuse(exchange, 400, "json", "a request body that is no JSON object (" + e.getMessage() + "); answered 400");
                return;
            }
            if (command.equals("report")) {
                reports.incrementAndGet();
                take(request);
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, ALLOW.length);
            exchange.getResponseBody().write(ALLOW);
        } catch (IOException e) {
            troubles.say("cut", "a client went away mid-request (" + e.getMessage() + ")");
        }
    }

    /** A successful POP3 or IMAP authentication becomes a login; anything else is no login, and no error. */
    private void take(Map<String, Object> report) {
        var protocol = report.get("protocol") instanceof String p ? p.toLowerCase(Locale.ROOT) : "";
        if (!Boolean.TRUE.equals(report.get("success")) || Boolean.TRUE.equals(report.get("policy_reject"))
                || !(protocol.equals("pop3") || protocol.equals("imap"))) {
            return;
        }
        var ip = report.get("remote") instanceof String r ? IpAddress.bytesOrNull(r) : null;
        var user = report.get("login") instanceof String l ? l : null;
        if (ip == null || user == null || user.isEmpty() || user.length() > 256 || user.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            troubles.say("report", "a successful " + protocol + " report without a literal remote address and a login name"
                    + " (auth_policy_request_attributes must give login= and remote=); not recorded");
            return;
        }
        if (!logins.offer(new Login(IpAddress.format(ip), user, clock.instant(), "dovecot-policy"))) {
            dropped.incrementAndGet();
            troubles.say("full", "more than " + QUEUE_LOGINS + " reports waiting for readlog's loop; dropping");
        }
    }

    private void refuse(HttpExchange exchange, int status, String kind, String line) throws IOException {
        refused.incrementAndGet();
        troubles.say(kind, line);
        exchange.sendResponseHeaders(status, -1);
    }

    private static String command(String query) {
        if (query != null) {
            for (var pair : query.split("&")) {
                if (pair.startsWith("command=")) {
                    return pair.substring("command=".length());
                }
            }
        }
        return "";
    }

    @Override
    public String name() {
        return "dovecot-policy " + settings;
    }

    @Override
    public int poll(Consumer<Login> out) {
        int n = 0;
        for (Login l; (l = logins.poll()) != null; n++) {
            out.accept(l);
        }
        return n;
    }

    /** Reports taken, requests refused, logins dropped for a full queue: for the metrics. */
    public long reports() {
        return reports.get();
    }

    public long refused() {
        return refused.get();
    }

    public long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
