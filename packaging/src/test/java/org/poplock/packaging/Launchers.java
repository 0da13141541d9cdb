package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;

/** The real launchers in packaging/bin, run as processes, and what the tests need around them. */
final class Launchers {

    static final Path BIN = Path.of("bin").toAbsolutePath();
    static final Path TARGET = Path.of("target").toAbsolutePath();
    /** An empty configuration file, readable by every account a test runs a program as: every setting at its default. */
    static final Path NO_CONFIG = Path.of("/dev/null");

    private Launchers() {
    }

    record Result(int exit, String out, String err) {
    }

    /** A program of packaging/bin with the host's settings kept out ({@link #hostFree}), then {@code env}. */
    static ProcessBuilder command(String program, Map<String, String> env, String... args) {
        var cmd = new ArrayList<String>();
        cmd.add(BIN.resolve(program).toString());
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        hostFree(pb.environment());
        pb.environment().putAll(env);
        return pb;
    }

    /**
     * Keeps the host's settings from a process that runs a program of poplock, directly or through
     * tcpserver, setpriv, a shell: no RELAYCLIENT or TCPREMOTEIP of the test's own, no $POPLOCK_*
     * (each is a setting, ConfigFile.variable), and $POPLOCK_CONFIG naming an empty file, so that
     * a host with the package installed does not lend its /etc/poplock/poplock.conf to the tests.
     * A test that means a configuration puts its own POPLOCK_CONFIG after this.
     */
    static Map<String, String> hostFree(Map<String, String> environment) {
        environment.remove("RELAYCLIENT");
        environment.remove("TCPREMOTEIP");
        environment.keySet().removeIf(name -> name.startsWith("POPLOCK_"));
        environment.put(ConfigFile.ENV, NO_CONFIG.toString());
        return environment;
    }

    /**
     * A test that needs what only some machines give (root, user namespaces): skipped elsewhere,
     * but under CI ({@code CI=true}, as CI services set it) a failure that says what is missing,
     * so that CI never passes with a test it did not run.
     */
    static void assumeOrInCiRequire(boolean available, String needs) {
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(available, needs + ": CI runs every test (CI=true), so the machine must provide it (.ci/run as root)");
        }
        assumeTrue(available, needs);
    }

    /** setpriv's words that run a command as the real account nobody, group nogroup, and no other group. */
    static List<String> asNobody() {
        return List.of("/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups");
    }

    /** A test that acts as nobody needs root and setpriv: skipped without them, failed under CI=true. */
    static void requireNobody() {
        assumeOrInCiRequire(Files.isExecutable(Path.of(asNobody().get(0))) && root(), "needs root and setpriv to act as nobody");
    }

    /** True when the tests run as root. */
    static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    static Result run(String program, Map<String, String> env, String... args) throws IOException, InterruptedException {
        var p = command(program, env, args).start();
        p.getOutputStream().close();
        var out = new StreamText(p.getInputStream());
        var err = new StreamText(p.getErrorStream());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), program + " did not finish");
        return new Result(p.exitValue(), out.text(), err.text());
    }

    /** The C program relaylock execs in the tests: prints RELAYCLIENT, its descriptors and signal masks. */
    static Path envReport() throws IOException, InterruptedException {
        return compiled("envreport", "envreport");
    }

    /** A library to preload into relaylock (replace-on-open.c): replaces a large table between its base's open and its delta's. */
    static Path replaceOnOpen() throws IOException, InterruptedException {
        return compiled("replace-on-open", "replace-on-open.so", "-shared", "-fPIC", "-ldl");
    }

    /** src/test/resources/{@code source}.c compiled by gcc with {@code flags} into target/{@code output}, once. */
    private static synchronized Path compiled(String source, String output, String... flags) throws IOException, InterruptedException {
        var exe = TARGET.resolve(output);
        if (!Files.isExecutable(exe)) {
            var src = Path.of("src/test/resources/" + source + ".c").toAbsolutePath();
            var cmd = new ArrayList<>(List.of("gcc", "-O2", "-o", exe.toString(), src.toString()));
            cmd.addAll(List.of(flags));
            var gcc = new ProcessBuilder(cmd).inheritIO().start();
            assertEquals(0, gcc.waitFor(), "gcc " + source + ".c");
        }
        return exe;
    }

    /**
     * Sends a real signal with kill(1). (Process.destroy also sends SIGTERM, but closes our ends
     * of the process's pipes, losing what it writes while it shuts down.)
     */
    static void signal(Process p, String signal) throws IOException, InterruptedException {
        var kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
    }

    /** Waits for a condition to hold, polling; fails with {@code what} when {@code limit} passes. */
    static void await(Duration limit, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + limit.toSeconds() + "s waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** A real POP3 or IMAP client (curl) from {@code source} to {@code server}: true when the login succeeded. */
    static boolean mailLogin(String protocol, String source, String server, int port, String user, String password) throws Exception {
        var host = server.contains(":") ? "[" + server + "]" : server;
        var curl = new ProcessBuilder("curl", "-s", "-g", "--max-time", "20", "--interface", source, "-u", user + ":" + password,
                protocol + "://" + host + ":" + port + "/").redirectErrorStream(true).start();
        curl.getInputStream().readAllBytes();
        if (!curl.waitFor(30, TimeUnit.SECONDS)) {
            curl.destroyForcibly();
            throw new AssertionError("curl hung");
        }
        return curl.exitValue() == 0;
    }

    /** The addresses in a published database (as relaylock reads it), sorted; none while it cannot be read. */
    static List<String> publishedIps(Path db) {
        try {
            return RelayDatabase.openTable(db).entries().stream().map(RelayEntry::ip).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** When {@code ip}'s entry in a published database expires; the epoch without one. */
    static Instant expiryOf(Path db, String ip) {
        try {
            return RelayDatabase.openTable(db).find(ip).map(RelayEntry::expiry).orElse(Instant.EPOCH);
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    /**
     * With --keep-while-connected: the session of {@code client} (a script that prints
     * "logged out" once it gets a newline) keeps {@code ip}'s grant well past a 3 s timeout,
     * and the grant ends once the server has logged the logout.
     */
    static void grantLastsUntilLogout(Path db, String ip, Process client, java.io.BufferedReader out) throws Exception {
        var first = expiryOf(db, ip);
        await(Duration.ofSeconds(20), "the grant to be extended", () -> expiryOf(db, ip).isAfter(first.plusSeconds(2)));
        assertTrue(publishedIps(db).contains(ip));
        client.getOutputStream().write('\n');
        client.getOutputStream().flush();
        assertEquals("logged out", out.readLine());
        await(Duration.ofSeconds(20), "the grant to end after the logout", () -> !publishedIps(db).contains(ip));
    }

    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

    /** readlog's /metrics text on the loopback {@code port}; null while it does not answer. */
    static String metrics(int port) {
        try {
            return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The value of the sample {@code name} (with its labels) in a /metrics text; {@code absent} when it is not there. */
    static long sample(String metrics, String name, long absent) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> (long) Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElse(absent);
    }

    /** What {@link #metric} gives for a sample readlog's /metrics does not have. */
    static final long ABSENT = Long.MIN_VALUE;

    /**
     * A sample's value from readlog on {@code port}; {@link #ABSENT} when readlog answers without
     * it. An AssertionError when readlog does not answer: "no answer" is never a value.
     */
    static long metric(int port, String name) {
        var text = metrics(port);
        if (text == null) {
            throw new AssertionError("readlog's /metrics on port " + port + " did not answer (asked for " + name + ")");
        }
        return sample(text, name, ABSENT);
    }

    /** Reads a process stream on its own thread so the process never blocks on a full pipe. */
    static final class StreamText {
        private final StringBuffer text = new StringBuffer();
        private final Thread reader;

        StreamText(java.io.InputStream in) {
            reader = new Thread(() -> {
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        text.append(line).append('\n');
                    }
                } catch (IOException ignored) {
                    // the process is gone; what was read is what there is
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        String text() throws InterruptedException {
            reader.join(10_000);
            return text.toString();
        }

        String soFar() {
            return text.toString();
        }
    }
}
