package org.poplock.relaylock;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import jnr.constants.platform.Fcntl;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * Replaces this process with PROGRAM through jnr-posix {@code execve}, so that PROGRAM inherits
 * the TCP connection on descriptors 0, 1 and 2 and tcpserver sees PROGRAM's exit status.
 * Every other descriptor the JVM holds (jars, /dev/random, its own sockets) is marked
 * close-on-exec first: none of them is PROGRAM's business.
 */
final class Exec {

    private static final int FD_CLOEXEC = 1;
    private static final int SIG_SETMASK = 2;
    private static final int SIGSET_BYTES = 128;

    private Exec() {
    }

    static void replaceWith(String[] program, Map<String, String> env) {
        var path = resolve(program[0], env.get("PATH"));
        if (path == null) {
            Relaylock.fail("cannot run " + program[0] + ": not found or not executable");
        }
        var envp = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        POSIX posix;
        try {
            posix = POSIXFactory.getNativePOSIX();
        } catch (Throwable t) {
            runAsChild(path, program, env, t);
            return;
        }
        closeOnExec(posix);
        unblockSignals(posix);
        posix.execve(path, program, envp);
        Relaylock.fail("cannot run " + path + ": " + posix.strerror(posix.errno()));
    }

    /**
     * The JVM blocks SIGQUIT in its threads and a signal mask survives execve: without this,
     * PROGRAM would start with signals blocked that it expects to receive.
     */
    private static void unblockSignals(POSIX posix) {
        var empty = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getSystemRuntime(), SIGSET_BYTES, true);
        if (posix.libc() instanceof jnr.posix.UnixLibC libc) {
            libc.sigprocmask(SIG_SETMASK, empty, null);
        }
    }

    private static void closeOnExec(POSIX posix) {
        var fds = new File("/proc/self/fd").list();
        if (fds == null) {
            return;
        }
        for (var name : fds) {
            int fd = Integer.parseInt(name);
            if (fd > 2) {
                posix.fcntlInt(fd, Fcntl.F_SETFD, FD_CLOEXEC);
            }
        }
    }

    /** execvp's search: a name with a slash is used as it is, else the first executable one on PATH. */
    static String resolve(String name, String searchPath) {
        if (name.contains("/")) {
            return Files.isExecutable(Path.of(name)) && !Files.isDirectory(Path.of(name)) ? name : null;
        }
        var dirs = (searchPath == null || searchPath.isEmpty() ? "/usr/local/bin:/bin:/usr/bin" : searchPath).split(":", -1);
        for (var dir : dirs) {
            var candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    /**
     * Without a native binding the JVM cannot exec; rather than stop mail it runs PROGRAM as a
     * child on the same descriptors (Java's process launcher closes all others) and passes on
     * its exit status, at the cost of a JVM waiting beside every SMTP session.
     */
    private static void runAsChild(String path, String[] program, Map<String, String> env, Throwable why) {
        System.err.println("relaylock: no native exec (" + why + "); running " + path + " as a child instead");
        try {
            var argv = program.clone();
            argv[0] = path;
            var pb = new ProcessBuilder(argv).inheritIO();
            pb.environment().clear();
            pb.environment().putAll(env);
            System.exit(pb.start().waitFor());
        } catch (Exception e) {
            Relaylock.fail("cannot run " + path + ": " + e.getMessage());
        }
    }
}
