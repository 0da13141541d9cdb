package org.poplock.relaylock;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Platform;
import com.kenai.jffi.Type;
import java.io.File;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Replaces this process with PROGRAM through {@code execve}, so that PROGRAM inherits the TCP
 * connection on descriptors 0, 1 and 2 (and every other descriptor relaylock inherited) and
 * tcpserver sees PROGRAM's exit status. Every descriptor the JVM opened itself (jars, its own
 * sockets) is marked close-on-exec first, and the signal mask is cleared: neither is PROGRAM's
 * business.
 *
 * <p>PROGRAM's arguments and environment are the bytes relaylock was given, from /proc, not
 * Java's decoding of them: under tcpserver there is rarely a UTF-8 locale, and an ident reply in
 * TCPREMOTEINFO or a Latin-1 argument would otherwise reach qmail-smtpd as question marks.
 *
 * <p>The C library is called through jffi, the native-call layer under jnr-posix and jnr-ffi, in
 * its cheapest form, chosen by measurement (README, Performance; {@code bench/exec-binding}):
 * {@code POSIXFactory.getNativePOSIX()} binds the whole C library, and a four-function interface
 * bound by jnr-ffi still builds a proxy with reflection and type mappers, 50 ms more per
 * connection than the four symbol lookups and call descriptions below.
 */
final class Exec {

    private static final int ENOENT = 2;
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int EISDIR = 21;
    private static final byte[] DEFAULT_PATH = "/usr/local/bin:/bin:/usr/bin".getBytes(StandardCharsets.US_ASCII);

    private Exec() {
    }

    /** Runs PROGRAM ({@code program}, as Java decoded it) with RELAYCLIENT added when {@code relayClient} is not null; returns only to exit 111. */
    static void replaceWith(String[] program, String relayClient) {
        var argv = rawArguments(program);
        var envp = rawEnvironment();
        if (relayClient != null) {
            envp.add(("RELAYCLIENT=" + relayClient).getBytes(StandardCharsets.UTF_8));
        }
        CLibrary libc;
        try {
            libc = new CLibrary();
        } catch (Throwable t) {
            runAsChild(program, relayClient, t);
            return;
        }
        libc.clearSignalMask();
        libc.closeOnExec(inheritedDescriptors(System.getProperty("poplock.inherited", "")));
        int errno = pathExec(libc, argv, envp.toArray(new byte[0][]), path(envp));
        Relaylock.fail("cannot run " + program[0] + ": " + libc.strerror(errno));
    }

    /** The launcher's list of the descriptors it was given ({@code 3,5,6}); anything else in it is ignored. */
    static java.util.Set<Integer> inheritedDescriptors(String list) {
        var out = new java.util.HashSet<Integer>();
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
        if (indexOf(file, (byte) '/', 0) >= 0) {
            return libc.execve(file, argv, envp);
        }
        int saved = ENOENT;
        for (int start = 0; start <= path.length; ) {
            int colon = indexOf(path, (byte) ':', start);
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

    /**
     * The bytes of main's arguments: the last entries of /proc/self/cmdline, used only when they
     * decode to exactly what Java was given (else Java's strings, encoded back).
     */
    static byte[][] rawArguments(String[] args) {
        var fromJava = new byte[args.length][];
        var charset = nativeCharset();
        for (int i = 0; i < args.length; i++) {
            fromJava[i] = args[i].getBytes(charset);
        }
        var cmdline = nulSeparated(Path.of("/proc/self/cmdline"));
        if (cmdline.size() < args.length) {
            return fromJava;
        }
        var raw = cmdline.subList(cmdline.size() - args.length, cmdline.size()).toArray(new byte[0][]);
        for (int i = 0; i < args.length; i++) {
            if (!new String(raw[i], charset).equals(args[i])) {
                return fromJava;
            }
        }
        return raw;
    }

    /** The environment this process was started with, as bytes; Java's decoding of it if /proc cannot tell. */
    static List<byte[]> rawEnvironment() {
        var raw = nulSeparated(Path.of("/proc/self/environ"));
        if (raw.isEmpty()) {
            var charset = nativeCharset();
            for (var e : System.getenv().entrySet()) {
                raw.add((e.getKey() + "=" + e.getValue()).getBytes(charset));
            }
        }
        return raw;
    }

    private static byte[] path(List<byte[]> envp) {
        for (var entry : envp) {
            if (entry.length >= 5 && entry[0] == 'P' && entry[1] == 'A' && entry[2] == 'T' && entry[3] == 'H' && entry[4] == '=') {
                return entry.length == 5 ? DEFAULT_PATH : Arrays.copyOfRange(entry, 5, entry.length);
            }
        }
        return DEFAULT_PATH;
    }

    private static List<byte[]> nulSeparated(Path file) {
        var parts = new ArrayList<byte[]>();
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException | RuntimeException e) {
            return parts;
        }
        for (int start = 0; start < all.length; ) {
            int nul = indexOf(all, (byte) 0, start);
            int end = nul < 0 ? all.length : nul;
            parts.add(Arrays.copyOfRange(all, start, end));
            start = end + 1;
        }
        return parts;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** The charset the JVM decoded arguments and environment with. */
    private static Charset nativeCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }

    /** The four C functions relaylock calls. Their arguments are copied to C memory that is never freed: the process is replaced, or exits. */
    static final class CLibrary {
        private static final int F_SETFD = 2;
        private static final int FD_CLOEXEC = 1;
        private static final int SIG_SETMASK = 2;
        private static final int SIGSET_BYTES = 128;

        private final Invoker invoker = Invoker.getInstance();
        private final MemoryIO memory = MemoryIO.getInstance();
        private final int pointerBytes = Platform.getPlatform().addressSize() / 8;
        private final long execve;
        private final long fcntl;
        private final long sigprocmask;
        private final long strerror;
        private final CallContext threePointers = CallContext.getCallContext(Type.SINT, new Type[] {Type.POINTER, Type.POINTER, Type.POINTER},
                CallingConvention.DEFAULT, true);
        // fcntl(int, int, ...): two fixed arguments, the third variadic.
        private final CallContext fcntlCall = CallContext.getCallContext(Type.SINT, 2, new Type[] {Type.SINT, Type.SINT, Type.SINT},
                CallingConvention.DEFAULT, true);
        private final CallContext intPointerPointer = CallContext.getCallContext(Type.SINT, new Type[] {Type.SINT, Type.POINTER, Type.POINTER},
                CallingConvention.DEFAULT, true);
        private final CallContext pointerOfInt = CallContext.getCallContext(Type.POINTER, new Type[] {Type.SINT}, CallingConvention.DEFAULT, false);

        CLibrary() {
            var libc = Library.getDefault();
            execve = symbol(libc, "execve");
            fcntl = symbol(libc, "fcntl");
            sigprocmask = symbol(libc, "sigprocmask");
            strerror = symbol(libc, "strerror");
        }

        private static long symbol(Library libc, String name) {
            long address = libc.getSymbolAddress(name);
            if (address == 0) {
                throw new UnsatisfiedLinkError(name + ": " + Library.getLastError());
            }
            return address;
        }

        /** execve(2): returns only on failure, with errno. */
        int execve(byte[] path, long argv, long envp) {
            invoker.invokeN3(threePointers, execve, cString(path), argv, envp);
            return LastError.getInstance().get();
        }

        /**
         * The JVM blocks signals in its threads (SIGQUIT without -Xrs) and a signal mask survives
         * execve: PROGRAM would start deaf to signals it expects.
         */
        void clearSignalMask() {
            invoker.invokeN3(intPointerPointer, sigprocmask, SIG_SETMASK, memory.allocateMemory(SIGSET_BYTES, true), 0);
        }

        /**
         * Marks every descriptor above 2 that the JVM opened itself (jars, the class archive, its
         * own sockets) close-on-exec. Descriptors this process inherited are PROGRAM's, untouched:
         * ucspi tools pass some on purpose (sslserver's UCSPI-TLS control descriptors). The
         * launcher lists them before the JVM starts ({@code -Dpoplock.inherited}); without that
         * list every descriptor above 2 is marked, as no inherited one can be told from the JVM's.
         */
        void closeOnExec(java.util.Set<Integer> inherited) {
            var fds = new File("/proc/self/fd").list();
            if (fds == null) {
                return;
            }
            for (var name : fds) {
                int fd = Integer.parseInt(name);
                if (fd > 2 && !inherited.contains(fd)) {
                    invoker.invokeI3(fcntlCall, fcntl, fd, F_SETFD, FD_CLOEXEC);
                }
            }
        }

        String strerror(int errno) {
            long message = invoker.invokeN1(pointerOfInt, strerror, errno);
            return message == 0 ? "error " + errno : new String(memory.getZeroTerminatedByteArray(message), StandardCharsets.UTF_8);
        }

        private long cString(byte[] bytes) {
            long address = memory.allocateMemory(bytes.length + 1, false);
            memory.putZeroTerminatedByteArray(address, bytes, 0, bytes.length);
            return address;
        }

        /** A NULL-terminated array of C strings, as argv and envp. */
        long cStrings(byte[][] strings) {
            long array = memory.allocateMemory((long) pointerBytes * (strings.length + 1), true);
            for (int i = 0; i < strings.length; i++) {
                memory.putAddress(array + (long) pointerBytes * i, cString(strings[i]));
            }
            return array;
        }
    }

    /**
     * Without a native binding the JVM cannot exec; rather than stop mail it runs PROGRAM as a
     * child on the same descriptors (Java's process launcher closes all others) and passes on
     * its exit status, at the cost of a JVM waiting beside every SMTP session.
     */
    private static void runAsChild(String[] program, String relayClient, Throwable why) {
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
        } catch (Exception e) {
            Relaylock.fail("cannot run " + program[0] + ": " + e.getMessage());
        }
    }
}
