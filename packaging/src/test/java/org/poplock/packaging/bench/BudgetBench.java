package org.poplock.packaging.bench;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Benchmark, not a test: the cost of recipient budgets. Side by side in one run, with the same
 * requests (a Postfix RCPT request, {@link PolicyBench#run}'s mix of addresses, every one of them
 * granted here, so each is counted) on 50 connections: readlog's policy service without budgets,
 * with a budget per grant and per user (never reached, so every answer is the usual one), and
 * Debian's policyd-rate-limit limiting by client address (its sqlite backend as Debian ships it,
 * a limit never reached), started in a private directory on a free port and stopped at the end.
 *
 * <p>Run: {@code bench/budget [SECONDS=10]} (needs the policyd-rate-limit package).
 */
public final class BudgetBench {

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int connections = 50;
        var bin = Path.of(System.getProperty("poplock.bin", "packaging/bin")).toAbsolutePath();
        var dir = Files.createTempDirectory("poplock-budget-bench-");
        var log = new StringBuilder();
        for (int i = 0; i < 10_240; i++) {
            log.append(PublishLatency.line(Instant.now(), "10.0." + (i >> 8) + "." + (i & 255)));
        }
        for (int i = 0; i < 256; i++) {
            log.append(PublishLatency.line(Instant.now(), "192.0.2." + i));
        }
        Files.writeString(dir.resolve("mail.log"), log);
        int plainPort = PolicyBench.freePort();
        int budgetPort = PolicyBench.freePort();
        int ratePort = PolicyBench.freePort();
        var started = new ArrayList<Process>();
        try {
            started.add(readlog(bin, dir, "plain", plainPort));
            started.add(readlog(bin, dir, "budget", budgetPort, "--budget-recipients-per-grant", "1000000000",
                    "--budget-recipients-per-user", "1000000000"));
            started.add(policydRateLimit(dir, ratePort));
            for (int port : new int[] {plainPort, budgetPort, ratePort}) {
                awaitAnswer(port);
            }
            System.out.printf("policy requests (RCPT, every client granted), %d connections, %d s per run (p50/p99 per request)%n",
                    connections, seconds);
            System.out.printf("%-46s %12s %10s %10s%n", "server", "requests/s", "p50 ms", "p99 ms");
            var rate = PolicyBench.run(ratePort, connections, seconds);
            print("policyd-rate-limit 1.0.1 (sqlite, by address)", rate);
            // Off and on in turn, twice: a shared machine's load drifts between runs.
            double off = 0;
            double on = 0;
            for (int round = 0; round < 2; round++) {
                var plain = PolicyBench.run(plainPort, connections, seconds);
                print("readlog --policy, no budget", plain);
                var budget = PolicyBench.run(budgetPort, connections, seconds);
                print("readlog --policy, budgets per grant and user", budget);
                off += plain.rate() / 2;
                on += budget.rate() / 2;
            }
            System.out.printf("budgets on / policyd-rate-limit: %.1fx; budgets on / off: %.0f %%%n", on / rate.rate(), 100 * on / off);
        } finally {
            for (var p : started) {
                p.destroy();
                p.waitFor();
            }
        }
    }

    private static Process readlog(Path bin, Path dir, String name, int port, String... more) throws Exception {
        var command = new ArrayList<>(List.of(bin.resolve("readlog").toString(), "--log", dir.resolve("mail.log").toString(), "--db",
                Files.createDirectories(dir.resolve(name)).resolve("relay.db").toString(), "--timeout", "1h", "--policy", "inet:127.0.0.1:" + port));
        command.addAll(List.of(more));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".out").toFile()).start();
    }

    /** policyd-rate-limit on its own configuration, pid file and database in {@code dir}, as this user. */
    private static Process policydRateLimit(Path dir, int port) throws Exception {
        var user = new String(new ProcessBuilder("id", "-un").start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        var group = new String(new ProcessBuilder("id", "-gn").start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        var config = Files.writeString(dir.resolve("policyd-rate-limit.yaml"), String.join("\n",
                "debug: False",
                "user: \"" + user + "\"",
                "group: \"" + group + "\"",
                "pidfile: \"" + dir.resolve("policyd-rate-limit.pid") + "\"",
                "backend: 0",
                "sqlite_config:",
                "    database: \"" + dir.resolve("rate.sqlite3") + "\"",
                "SOCKET: [\"127.0.0.1\", " + port + "]",
                "limits:",
                "    - [1000000000, 3600]",
                "limits_by_id: {}",
                "limit_by_sasl: False",
                "limit_by_sender: False",
                "limit_by_ip: True",
                "limited_networks: [\"0.0.0.0/0\"]",
                "success_action: \"dunno\"",
                "fail_action: \"defer_if_permit Rate limit reach, retry later\"",
                "db_error_action: \"dunno\"",
                "report: False",
                "delay_to_close: 300",
                ""));
        return new ProcessBuilder("policyd-rate-limit", "--file", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("policyd-rate-limit.out").toFile()).start();
    }

    /** Until the server answers a granted address's request (readlog has read the log, or the daemon listens). */
    private static void awaitAnswer(int port) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (var s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(PolicyBench.request("192.0.2.255"));
                var in = s.getInputStream();
                var reply = new StringBuilder();
                for (int b; !reply.toString().endsWith("\n\n") && (b = in.read()) >= 0; ) {
                    reply.append((char) b);
                }
                if (reply.toString().startsWith("action=OK") || reply.toString().startsWith("action=dunno")) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("nothing answers on port " + port);
    }

    private static void print(String what, PolicyBench.Run r) {
        System.out.printf("%-46s %12.0f %10.3f %10.3f%n", what, r.rate(), r.p50(), r.p99());
    }
}
