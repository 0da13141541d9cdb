package org.poplock.packaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * A private Dovecot (Debian's dovecot-pop3d and dovecot-imapd) on loopback high ports, with a
 * throwaway configuration and a passwd-file of users; it writes its own log file, the way
 * {@code log_path} does on a mail host. Needs the {@code vmail} user that .ci/run creates.
 */
public final class DovecotServer implements AutoCloseable {

    final Path dir;
    public final Path log;
    final int pop3Port;
    final int imapPort;
    private final Path conf;

    private DovecotServer(Path dir, int pop3Port, int imapPort) {
        this.dir = dir;
        this.log = dir.resolve("dovecot.log");
        this.conf = dir.resolve("dovecot.conf");
        this.pop3Port = pop3Port;
        this.imapPort = imapPort;
    }

    /** Starts Dovecot for {@code users} ("name:password") and waits until both ports answer. */
    static DovecotServer start(Path parent, List<String> users) throws Exception {
        return start(parent, users, "");
    }

    /** As {@link #start(Path, List)}, with {@code extra} appended to the configuration. */
    public static DovecotServer start(Path parent, List<String> users, String extra) throws Exception {
        var dir = Files.createDirectories(parent.resolve("dovecot"));
        // Dovecot's login processes run as dovenull and must reach base_dir.
        // Only the test's own directories: never the shared /tmp above them.
        for (var p = dir; p != null && p.startsWith(parent); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        var server = new DovecotServer(dir, TcpserverIT.freePort(), TcpserverIT.freePort());
        var home = Files.createDirectories(dir.resolve("home"));
        runIn(dir, "chown", "vmail:vmail", home.toString());
        Files.write(dir.resolve("passwd"), users.stream().map(u -> u.replaceFirst(":", ":{PLAIN}")).toList());
        Files.writeString(server.conf, """
                base_dir = %1$s/run
                state_dir = %1$s/state
                log_path = %1$s/dovecot.log
                info_log_path = %1$s/dovecot.log
                protocols = pop3 imap
                listen = 127.0.0.1, ::1
                ssl = no
                disable_plaintext_auth = no
                auth_mechanisms = plain login
                first_valid_uid = 1
                mail_location = maildir:~/Maildir
                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN username_format=%%u %1$s/passwd
                }
                userdb {
                  driver = static
                  args = uid=vmail gid=vmail home=%1$s/home/%%u
                }
                service pop3-login {
                  inet_listener pop3 {
                    port = %2$d
                  }
                  inet_listener pop3s {
                    port = 0
                  }
                }
                service imap-login {
                  inet_listener imap {
                    port = %3$d
                  }
                  inet_listener imaps {
                    port = 0
                  }
                }
                service lmtp {
                  unix_listener lmtp {
                    mode = 0600
                  }
                }
                """.formatted(dir, server.pop3Port, server.imapPort) + extra);
        runIn(dir, sbin("dovecot"), "-c", server.conf.toString());
        Launchers.await(Duration.ofSeconds(30), "Dovecot to listen on " + server.pop3Port + " and " + server.imapPort,
                () -> TcpserverIT.canConnect(server.pop3Port) && TcpserverIT.canConnect(server.imapPort));
        return server;
    }

    /** A real POP3 or IMAP client (curl) from {@code source}: true when the login succeeded. */
    public boolean login(String protocol, String source, String server, String user, String password) throws Exception {
        return Launchers.mailLogin(protocol, source, server, protocol.equals("pop3") ? pop3Port : imapPort, user, password);
    }

    @Override
    public void close() throws Exception {
        run(sbin("doveadm"), "-c", conf.toString(), "stop");
    }

    /** Dovecot's programs live in /usr/sbin and /usr/bin, which a non-root PATH may lack. */
    private static String sbin(String name) {
        for (var dir : List.of("/usr/sbin", "/usr/bin")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return dir + "/" + name;
            }
        }
        return name;
    }

    /** Runs a command to its end; its output goes to a file, as a daemon it starts keeps any pipe open. */
    private void run(String... cmd) throws IOException, InterruptedException {
        runIn(dir, cmd);
    }

    private static void runIn(Path dir, String... cmd) throws IOException, InterruptedException {
        var out = dir.resolve("command.out");
        var p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (p.waitFor() != 0) { // no JUnit here: bench/push-latency starts Dovecot too
            throw new AssertionError(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + Files.readString(out));
        }
    }
}
