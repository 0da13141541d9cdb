package org.poplock.relaylock;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Replaces this process with PROGRAM through jnr-posix {@code execve}, so that PROGRAM inherits
 * the TCP connection on descriptors 0, 1 and 2 and tcpserver sees PROGRAM's exit status.
 * Every other descriptor the JVM holds (jars, /dev/random, its own sockets) is marked
 * close-on-exec first: none of them is PROGRAM's business.
 *
 * <p>The binding is the cheapest form of jnr-posix measured (README, Performance): the four C
 * functions relaylock calls, declared below and bound by jnr-ffi, the layer jnr-posix is built on,
 * with its bytecode generation off (the launcher's {@code -Djnr.ffi.asm.enabled=false}).
 * {@code POSIXFactory.getNativePOSIX()} binds the whole C library (170 ms on JDK 17), and even
 * jnr-posix's own {@code UnixLibC} interface costs 60-120 ms to build its proxy of some 300 methods.
 */
final class Exec {

    /** The part of the C library relaylock needs. */
    public interface CLibrary {
        int execve(CharSequence path, CharSequence[] argv, CharSequence[] envp);

        int fcntl(int fd, int cmd, int arg);

        int sigprocmask(int how, Pointer set, Pointer oldset);

        String strerror(int errnum);
    }

    private static final int F_GETFD = 1;
    private static final int F_SETFD = 2;
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
        CLibrary libc;
        try {
            libc = LibraryLoader.create(CLibrary.class).load("c");
        } catch (Throwable t) {
            runAsChild(path, program, env, t);
            return;
        }
        unblockSignals(libc);
        // jnr-ffi binds a function at its first call and may open a jar to do it: call both once
        // (harmlessly: EBADF, ENOENT) before listing the descriptors to close.
        libc.fcntl(-1, F_GETFD, 0);
        libc.execve("", new String[] {""}, new String[0]);
        closeOnExec(libc);
        libc.execve(path, program, envp);
        Relaylock.fail("cannot run " + path + ": " + libc.strerror(LastError.getLastError(Runtime.getRuntime(libc))));
    }

    /**
     * The JVM blocks SIGQUIT in its threads and a signal mask survives execve: PROGRAM would start
     * with signals blocked that it expects to receive. The launcher's -Xrs keeps the JVM from doing
     * so, which saves binding sigprocmask; the mask is checked all the same.
     */
    private static void unblockSignals(CLibrary libc) {
        if (signalsBlocked()) {
            libc.sigprocmask(SIG_SETMASK, Memory.allocateDirect(Runtime.getRuntime(libc), SIGSET_BYTES, true), null);
        }
    }

    /** Whether this thread has any signal blocked, from its SigBlk line in /proc. */
    static boolean signalsBlocked() {
        try {
            for (var line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("SigBlk:")) {
                    return !line.substring(7).trim().matches("0+");
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // cannot tell: unblock to be sure
        }
        return true;
    }

    private static void closeOnExec(CLibrary libc) {
        var fds = new File("/proc/self/fd").list();
        if (fds == null) {
            return;
        }
        for (var name : fds) {
            int fd = Integer.parseInt(name);
            if (fd > 2) {
                libc.fcntl(fd, F_SETFD, FD_CLOEXEC);
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
