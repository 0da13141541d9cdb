package org.poplock.readlog.authpolicy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.poplock.common.address.IpAddress;
import org.poplock.common.address.Printable;
import org.poplock.common.address.UserName;
import org.poplock.common.config.SecretFile;
import org.poplock.readlog.ListenAddress;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.http.HttpListener;
import org.poplock.readlog.listen.Listener;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.source.Input;

/**
 * Dovecot's authentication policy server ({@code auth_policy_server_url}), as a source of logins:
 * Dovecot reports every authentication itself, so nothing is parsed from a log. It answers every
 * {@code command=allow} at once with {@code {"status":0}} (poplock never refuses a login; Dovecot
 * treats the service as advisory when it is down) and takes a {@code command=report} with
 * {@code "success":true} and a POP3 or IMAP protocol as a login of {@code remote} by {@code login}.
 *
 * <p>Every request must carry {@code Authorization: Bearer SECRET}, compared in constant time; a
 * request without it, a body over {@link #MAX_BODY} or that is no JSON object, a client slower
 * than {@link #LIMITS}' request time: a 4xx or a closed connection and one line (at most one a
 * minute per kind), nothing granted. The listener's one thread ({@link HttpListener}) only queues
 * logins; the daemon's loop takes them in its round like lines, so no request can hold up a
 * publish, and no client can hold up another.
 */
public final class AuthPolicyServer implements Input, Listener {

    public static final int MAX_BODY = 64 * 1024;
    /**
     * Dovecot's auth processes keep a few connections; a request is whole in one write, and
     * Dovecot itself waits 2 s at most (auth_policy_server_timeout_msecs). Past these a client
     * is closed; at the connection limits the one of them waiting longest makes room.
     */
    static final HttpListener.Limits LIMITS = new HttpListener.Limits(256, 64, 8 * 1024, MAX_BODY, Duration.ofSeconds(5),
            Duration.ofSeconds(30));
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
            var secret = SecretFile.read("--dovecot-policy-secret-file", secretFile);
            if (secret.length() < 16 || !secret.matches("[\\x21-\\x7e]+")) {
                throw new IllegalArgumentException("--dovecot-policy-secret-file " + secretFile
                        + ": the secret must be one word of at least 16 printable ASCII characters");
            }
            return new Settings(where, ("Bearer " + secret).getBytes(StandardCharsets.US_ASCII));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Settings s && address.equals(s.address) && Arrays.equals(authorization, s.authorization);
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

    private HttpListener listener;
    private final Settings settings;
    private final Clock clock;
    private final Troubles troubles;
    private final BlockingQueue<Login> logins = new ArrayBlockingQueue<>(QUEUE_LOGINS);
    private final AtomicLong reports = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /** For {@code settings}, logins stamped by {@code clock}; it listens once started. */
    public AuthPolicyServer(Settings settings, Clock clock, Consumer<String> log) {
        this.settings = settings;
        this.clock = clock;
        this.troubles = new Troubles("dovecot-policy: ", log);
    }

    @Override
    public void start() throws IOException {
        try {
            this.listener = HttpListener.start(settings.address().socketAddress(), LIMITS, new HttpListener.Handler() {
                @Override
                public HttpListener.Response handle(HttpListener.Request request) {
                    return AuthPolicyServer.this.handle(request);
                }

                @Override
                public void refused(String kind, String line) {
                    refused.incrementAndGet();
                    troubles.say(kind, line);
                }
            }, "dovecot-policy");
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("--dovecot-policy " + settings + ": cannot listen: " + e.getMessage(), e);
        }
    }

    /** Made and listening; IOException with one line when it cannot. */
    public static AuthPolicyServer start(Settings settings, Clock clock, Consumer<String> log) throws IOException {
        var server = new AuthPolicyServer(settings, clock, log);
        server.start();
        return server;
    }

    @Override
    public String unhealthy() {
        return listener == null ? null : listener.unhealthy();
    }

    private HttpListener.Response handle(HttpListener.Request exchange) {
        if (!exchange.method().equals("POST")) {
            return refuse(405, "method", "a " + Printable.word(exchange.method()) + " request (Dovecot posts); answered 405");
        }
        var shown = exchange.header("Authorization");
        if (shown == null || !MessageDigest.isEqual(shown.getBytes(StandardCharsets.ISO_8859_1), settings.authorization())) {
            return refuse(401, "secret", "a request from " + exchange.remote().getHostAddress()
                    + (shown == null ? " without" : " with a wrong") + " Authorization: Bearer secret; answered 401");
        }
        var command = command(exchange.target());
        if (!command.equals("allow") && !command.equals("report")) {
            return refuse(400, "command", "a request with no command=allow or command=report; answered 400");
        }
        Map<String, Object> request;
        try {
            request = Json.object(new String(exchange.body(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return refuse(400, "json", "a request body that is no JSON object (" + e.getMessage() + "); answered 400");
        }
        if (command.equals("report")) {
            reports.incrementAndGet();
            take(request);
        }
        return new HttpListener.Response(200, "application/json", ALLOW, false);
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
        if (ip == null || user == null || !UserName.isValid(user)) {
            troubles.say("report", "a successful " + protocol + " report without a literal remote address and a login name"
                    + " (auth_policy_request_attributes must give login= and remote=); not recorded");
            return;
        }
        if (!logins.offer(new Login(IpAddress.format(ip), user, clock.instant(), "dovecot-policy"))) {
            dropped.incrementAndGet();
            troubles.say("full", "more than " + QUEUE_LOGINS + " reports waiting for readlog's loop; dropping");
        }
    }

    private HttpListener.Response refuse(int status, String kind, String line) {
        refused.incrementAndGet();
        troubles.say(kind, line);
        return HttpListener.Response.refusal(status);
    }

    /** {@code command=} of the request target's query, or "". */
    private static String command(String target) {
        int q = target.indexOf('?');
        if (q >= 0) {
            for (var pair : target.substring(q + 1).split("&")) {
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
    public int poll(Events out) {
        int n = 0;
        for (Login l; (l = logins.poll()) != null; n++) {
            out.login(l);
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

    /** Not {@link Input#dropped}: a lost report splits no two-line login, and the summary counts lines. */
    public long reportsDropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close();
        }
    }
}
