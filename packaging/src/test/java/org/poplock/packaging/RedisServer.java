package org.poplock.packaging;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A private redis-server (Debian's) on a loopback port, its data under the test's directory:
 * started, killed with SIGKILL and started again as the tests need. Nothing under /etc is used.
 */
final class RedisServer implements AutoCloseable {

    final int port;
    private final Path dir;
    private final List<String> extra;
    private Process process;

    RedisServer(Path dir, String... extra) throws IOException {
        this(dir, freePort(), extra);
    }

    RedisServer(Path dir, int port, String... extra) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.port = port;
        this.extra = List.of(extra);
    }

    static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Starts it and waits until it answers (a TLS-only one: until its port takes connections). */
    RedisServer start() throws Exception {
        var cmd = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "",
                "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString()));
        if (!extra.contains("--port")) {
            cmd.addAll(List.of("--port", String.valueOf(port)));
        }
        cmd.addAll(extra);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.out").toFile()).start();
        int listening = extra.contains("--tls-port") ? Integer.parseInt(extra.get(extra.indexOf("--tls-port") + 1)) : port;
        Launchers.await(Duration.ofSeconds(20), "redis-server on port " + listening, () -> accepts(listening));
        return this;
    }

    private boolean accepts(int p) {
        if (!process.isAlive()) {
            throw new AssertionError("redis-server exited: " + read(dir.resolve("redis.log")) + read(dir.resolve("redis.out")));
        }
        try (var s = new java.net.Socket("127.0.0.1", p)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    void kill() throws Exception {
        process.destroyForcibly();
        process.waitFor();
    }

    /** A client as the default user, for the tests to look and to write hostile entries with. */
    Jedis client() {
        return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder().socketTimeoutMillis(5000)
                .clientSetInfoConfig(redis.clients.jedis.ClientSetInfoConfig.DISABLED).build());
    }

    String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
