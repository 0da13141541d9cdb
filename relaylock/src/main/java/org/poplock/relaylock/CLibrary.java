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
import java.nio.charset.StandardCharsets;
import java.util.Set;

/** The four C functions relaylock calls (execve, fcntl, sigprocmask, strerror). Their arguments are copied to C memory that is never freed: the process is replaced, or exits. */
final class CLibrary {
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
    void closeOnExec(Set<Integer> inherited) {
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
