import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.nio.charset.StandardCharsets;

/**
 * The ways a JVM can reach execve through jnr-posix's stack, each doing relaylock's native work
 * (bind, mark descriptors close-on-exec, exec PROGRAM), for bench/exec-binding:
 *
 * <pre>  java ExecBinding none|posix|jnr-ffi|jffi PROGRAM [ARG...]</pre>
 *
 * {@code none} returns at once, exit 0: the JVM's own start, the floor under the others.
 */
public final class ExecBinding {

    /** The C functions relaylock needs, as jnr-ffi binds an interface. */
    public interface CLibrary {
        int execve(CharSequence path, CharSequence[] argv, CharSequence[] envp);

        int fcntl(int fd, int cmd, int arg);
    }

    public static void main(String[] args) {
        var argv = java.util.Arrays.copyOfRange(args, 1, args.length);
        var fds = new java.io.File("/proc/self/fd").list();
        switch (args[0]) {
            case "none" -> {
                return;
            }
            case "posix" -> {
                var posix = jnr.posix.POSIXFactory.getNativePOSIX();
                for (var fd : fds) {
                    posix.fcntlInt(Integer.parseInt(fd), jnr.constants.platform.Fcntl.F_SETFD, 1);
                }
                posix.execve(argv[0], argv, new String[0]);
            }
            case "jnr-ffi" -> {
                var libc = jnr.ffi.LibraryLoader.create(CLibrary.class).load("c");
                for (var fd : fds) {
                    libc.fcntl(Integer.parseInt(fd), 2, 1);
                }
                libc.execve(argv[0], argv, new String[0]);
            }
            case "jffi" -> {
                var memory = MemoryIO.getInstance();
                var invoker = Invoker.getInstance();
                var libc = Library.getDefault();
                long execve = libc.getSymbolAddress("execve");
                long fcntl = libc.getSymbolAddress("fcntl");
                var fcntlCall = CallContext.getCallContext(Type.SINT, 2, new Type[] {Type.SINT, Type.SINT, Type.SINT}, CallingConvention.DEFAULT, true);
                var execveCall = CallContext.getCallContext(Type.SINT, new Type[] {Type.POINTER, Type.POINTER, Type.POINTER},
                        CallingConvention.DEFAULT, true);
                for (var fd : fds) {
                    invoker.invokeI3(fcntlCall, fcntl, Integer.parseInt(fd), 2, 1);
                }
                long array = memory.allocateMemory(8L * (argv.length + 1), true);
                for (int i = 0; i < argv.length; i++) {
                    var bytes = argv[i].getBytes(StandardCharsets.UTF_8);
                    long s = memory.allocateMemory(bytes.length + 1, false);
                    memory.putZeroTerminatedByteArray(s, bytes, 0, bytes.length);
                    memory.putAddress(array + 8L * i, s);
                }
                invoker.invokeN3(execveCall, execve, memory.getAddress(array), array, memory.allocateMemory(8, true));
            }
            default -> throw new IllegalArgumentException("posix, jnr-ffi or jffi, not " + args[0]);
        }
        System.exit(111);
    }
}
