package org.poplock.relaylock;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Replaces this process with PROGRAM through {@code execve}, so that PROGRAM inherits the TCP
 * connection on descriptors 0, 1 and 2 (and every other descriptor relaylock inherited) and
 * tcpserver sees PROGRAM's exit status. Every descriptor the JVM opened itself (jars, its own
 * sockets) is marked close-on-exec first, and the signal mask is cleared: neither is PROGRAM's
 * business.
 *
 * <p>PROGRAM's arguments and environment are the bytes relaylock was given ({@link ProcessBytes}).
 *
 * <p>The C library is called through jffi, the native-call layer under jnr-posix and jnr-ffi, in
 * its cheapest form, chosen by measurement (README, Performance; {@code bench/exec-binding}):
 * {@code POSIXFactory.getNativePOSIX()} binds the whole C library, and a four-function interface
 * bound by jnr-ffi still builds a proxy with reflection and type mappers, 50 ms more per
 * connection than the four symbol lookups and call descriptions of {@link CLibrary}.
 */
final class Exec {

    private static final int ENOENT = 2;
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int EISDIR = 21;
    private static final byte[] DEFAULT_PATH = "/usr/local/bin:/bin:/usr/bin".getBytes(StandardCharsets.US_ASCII);

    private Exec() {
    }

    /**
     * Runs PROGRAM ({@code program}, as Java decoded it) with RELAYCLIENT added when
     * {@code relayClient} is not null. Returns only when PROGRAM could not be run, with why.
     */
    static String replaceWith(String[] program, String relayClient) {
        var argv = ProcessBytes.rawArguments(program);
        var envp = ProcessBytes.rawEnvironment();
        if (relayClient != null) {
            envp.add(("RELAYCLIENT=" + relayClient).getBytes(StandardCharsets.UTF_8));
        }
        CLibrary libc;
        try {
            libc = new CLibrary();
        } catch (Throwable t) {
            return runAsChild(program, relayClient, t);
        }
        libc.clearSignalMask();
        libc.closeOnExec(inheritedDescriptors(System.getProperty("poplock.inherited", "")));
        int errno = pathExec(libc, argv, envp.toArray(new byte[0][]), path(envp));
        return libc.strerror(errno);
    }

    /** The launcher's list of the descriptors it was given ({@code 3,5,6}); anything else in it is ignored. */
    static Set<Integer> inheritedDescriptors(String list) {
        var out = new HashSet<Integer>();
        for (var part : list.split(",")) {
            try {
                int fd = Integer.parseInt(part.trim());
                if (fd > 2) {
                    out.add(fd);
                }
            } catch (NumberFormatException e) {
                // not a descriptor number: not one of ours to keep
            }
        }
        return out;
    }

    /**
     * execvp without its /bin/sh fallback, as djb's pathexec: a name with a slash is run as it is,
     * else each directory of PATH is tried in turn; returns the errno that tells most.
     */
    static int pathExec(CLibrary libc, byte[][] arguments, byte[][] environment, byte[] path) {
        var file = arguments[0];
        long argv = libc.cStrings(arguments);
        long envp = libc.cStrings(environment);
        if (ProcessBytes.indexOf(file, (byte) '/', 0) >= 0) {
            return libc.execve(file, argv, envp);
        }
        int saved = ENOENT;
        for (int start = 0; start <= path.length; ) {
            int colon = ProcessBytes.indexOf(path, (byte) ':', start);
            int end = colon < 0 ? path.length : colon;
            var dir = end == start ? new byte[] {'.'} : Arrays.copyOfRange(path, start, end);
            var candidate = Arrays.copyOf(dir, dir.length + 1 + file.length);
            candidate[dir.length] = '/';
            System.arraycopy(file, 0, candidate, dir.length + 1, file.length);
            int errno = libc.execve(candidate, argv, envp);
            if (errno != ENOENT) {
                saved = errno;
                if (errno != EACCES && errno != EPERM && errno != EISDIR) {
                    return errno;
                }
            }
            start = end + 1;
        }
        return saved;
    }

    private static byte[] path(List<byte[]> envp) {
        for (var entry : envp) {
            if (entry.length >= 5 && entry[0] == 'P' && entry[1] == 'A' && entry[2] == 'T' && entry[3] == 'H' && entry[4] == '=') {
                return entry.length == 5 ? DEFAULT_PATH : Arrays.copyOfRange(entry, 5, entry.length);
            }
        }
        return DEFAULT_PATH;
    }

    /**
     * Without a native binding the JVM cannot exec; rather than stop mail it runs PROGRAM as a
     * child on the same descriptors (Java's process launcher closes all others) and passes on
     * its exit status, at the cost of a JVM waiting beside every SMTP session.
     */
    private static String runAsChild(String[] program, String relayClient, Throwable why) {
        var reason = String.valueOf(why);
        int newline = reason.indexOf('\n');
        System.err.println("relaylock: no native exec (" + (newline < 0 ? reason : reason.substring(0, newline)).trim()
                + "); running " + program[0] + " as a child instead");
        try {
            var pb = new ProcessBuilder(program).inheritIO();
            if (relayClient != null) {
                pb.environment().put("RELAYCLIENT", relayClient);
            }
            System.exit(pb.start().waitFor());
            return null; // not reached
        } catch (Exception e) {
            return String.valueOf(e.getMessage());
        }
    }
}
