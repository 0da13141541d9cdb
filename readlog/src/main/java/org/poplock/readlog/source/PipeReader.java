package org.poplock.readlog.source;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.poplock.readlog.Supervisor;

/**
 * Standard input or a syslog FIFO, read on a thread of its own into a bounded queue that the
 * daemon's loop drains. The writer never waits for us: when the queue is full the oldest lines
 * are dropped and counted (a stalled reader froze syslog, and with it every login on the host, in
 * smtp-poplock's time). Full is {@code capacity} lines or {@link #QUEUE_BYTES} of text, whichever
 * comes first: lines of up to 8 KiB would make a queue bounded in lines alone some 800 MB. The FIFO is opened for reading and writing, so it always has a reader and
 * never reports end of file when syslogd closes or restarts: there is nothing to reopen.
 */
public final class PipeReader implements Input {

    public static final int QUEUE_LINES = 100_000;
    /** The queue's text at most (a line counted by its length): a hundred thousand ordinary lines of some 200 bytes fit. */
    public static final long QUEUE_BYTES = 32L * 1024 * 1024;

    private final String name;
    private final InputStream in;
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private final int capacity;
    private final Consumer<String> warnings;
    private long dropped;
    private long queuedBytes;
    private volatile boolean ended;
    private final Thread reader;

    private PipeReader(String name, InputStream in, int capacity, Supervisor supervisor, Consumer<String> warnings) {
        this.name = name;
        this.in = in;
        this.capacity = capacity;
        this.warnings = warnings;
        this.reader = supervisor.start("read " + name, this::read);
    }

    public static PipeReader stdin(InputStream in, Supervisor supervisor, Consumer<String> warnings) {
        return new PipeReader("-", in, QUEUE_LINES, supervisor, warnings);
    }

    /** Opens (creating it if missing) the FIFO syslogd writes to. */
    public static PipeReader fifo(Path path, int capacity, Supervisor supervisor, Consumer<String> warnings) throws IOException {
        if (!Files.exists(path)) {
            mkfifo(path);
        } else if (Files.isRegularFile(path) || Files.isDirectory(path)) {
            throw new IOException(path + " exists and is not a FIFO");
        }
        var file = new RandomAccessFile(path.toFile(), "rw");
        return new PipeReader(path.toString(), new FileInputStream(file.getFD()), capacity, supervisor, warnings);
    }

    /** mkfifo(3) through jnr-posix, mode 0620 whatever the umask: syslogd writes, readlog's group may. */
    private static void mkfifo(Path path) throws IOException {
        POSIX posix;
        try {
            posix = POSIXFactory.getNativePOSIX();
        } catch (RuntimeException | LinkageError e) {
            throw new IOException("cannot create FIFO " + path + ": no native POSIX calls (" + e.getMessage() + ")", e);
        }
        // Made under a temporary name and renamed into place: it appears with its final mode,
        // never with what the umask left of it before the chmod.
        var tmp = path.resolveSibling("." + path.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        var name = tmp.toString();
        posix.unlink(name);
        if (posix.mkfifo(name, 0620) != 0 || posix.chmod(name, 0620) != 0) {
            var why = posix.strerror(posix.errno());
            posix.unlink(name);
            throw new IOException("cannot create FIFO " + path + ": " + why);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            posix.unlink(name);
            throw new IOException("cannot create FIFO " + path + ": " + e.getMessage(), e);
        }
    }

    /** Reads to the end of the stream; a failure here is the supervisor's to say, and it reads on where the stream stands. */
    private void read() {
        var splitter = new LineSplitter(problem -> warnings.accept(name + ": " + problem));
        var buffer = new byte[65536];
        var batch = new ArrayList<String>();
        try {
            int n;
            while ((n = in.read(buffer)) > 0) {
                splitter.feed(buffer, n, batch::add);
                offer(batch);
                batch.clear();
            }
        } catch (IOException e) {
            warnings.accept(name + ": read error: " + e.getMessage());
        }
        ended = true;
    }

    private synchronized void offer(List<String> lines) {
        for (var line : lines) {
            while (!queue.isEmpty() && (queue.size() >= capacity || queuedBytes + line.length() > QUEUE_BYTES)) {
                queuedBytes -= queue.pollFirst().length();
                dropped++;
            }
            queue.addLast(line);
            queuedBytes += line.length();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int poll(Events lines) {
        List<String> batch;
        synchronized (this) {
            batch = new ArrayList<>(queue);
            queue.clear();
            queuedBytes = 0;
        }
        batch.forEach(lines);
        return batch.size();
    }

    /** Ended once the stream is at its end and every line of it has been taken. */
    @Override
    public boolean ended() {
        if (!ended) {
            return false;
        }
        synchronized (this) {
            return queue.isEmpty();
        }
    }

    @Override
    public synchronized long dropped() {
        return dropped;
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException ignored) {
            // closing what we only read
        }
    }
}
