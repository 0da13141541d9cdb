package org.poplock.readlog.listen;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;

/**
 * One client of an {@link EventLoop}, as its session sees it: where it comes from, since when it
 * has been waiting, and a non-blocking way out. What the client does not read at once is kept
 * (at most {@link #MAX_PENDING}: past it the client is not read until it takes its answers), so
 * a client that never reads costs only itself.
 */
public final class Connection {

    static final int MAX_PENDING = 64 * 1024;

    private final SocketChannel channel;
    private final InetAddress remote;
    private final Consumer<Connection> closed;
    private SelectionKey key;
    private volatile long since;
    private ByteBuffer pending;
    private boolean closeAfterWriting;
    private boolean lingering;
    private final AtomicBoolean open = new AtomicBoolean(true);

    Connection(SocketChannel channel, InetAddress remote, long now, Consumer<Connection> closed) {
        this.channel = channel;
        this.remote = remote;
        this.since = now;
        this.closed = closed;
    }

    void register(SelectionKey key) {
        this.key = key;
    }

    SelectionKey key() {
        return key;
    }

    /** The client's address; null over a unix socket, whose mode and group say who may connect. */
    public InetAddress remote() {
        return remote;
    }

    /** When the wait now under way began (connected, a request's first byte, the last answer): the capping's "waiting longest". */
    public long since() {
        return since;
    }

    public void waitingSince(long now) {
        since = now;
    }

    /** Whether an answer is still on its way out. */
    public boolean writing() {
        return pending != null;
    }

    boolean lingering() {
        return lingering;
    }

    boolean isOpen() {
        return open.get();
    }

    /** Sends what it can now and keeps the rest for when the client reads. */
    public void write(ByteBuffer bytes) throws IOException {
        if (pending != null) {
            pending = ByteBuffer.allocate(pending.remaining() + bytes.remaining()).put(pending).put(bytes).flip();
        } else {
            channel.write(bytes);
            if (!bytes.hasRemaining()) {
                return;
            }
            pending = ByteBuffer.allocate(bytes.remaining()).put(bytes).flip();
        }
        key.interestOps(pending.remaining() > MAX_PENDING ? SelectionKey.OP_WRITE : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    /** Once the answer is out, the connection ends: what the client still sends is read and dropped for a moment, so it reads the answer, not a reset. */
    public void closeAfterWriting() throws IOException {
        closeAfterWriting = true;
        if (pending == null) {
            linger();
        }
    }

    /** Writes what is kept; true when all of it is out. */
    boolean flush() throws IOException {
        channel.write(pending);
        if (pending.hasRemaining()) {
            return false;
        }
        pending = null;
        key.interestOps(SelectionKey.OP_READ);
        if (closeAfterWriting) {
            linger();
        }
        return true;
    }

    private void linger() throws IOException {
        lingering = true;
        since = System.currentTimeMillis();
        channel.shutdownOutput();
    }

    /**
     * A client that writes its header and its body apart (Java's HttpClient does) holds the body
     * back until the header is acknowledged (Nagle), and Linux delays that acknowledgement by
     * up to 40 ms: acknowledged at once instead (the kernel turns this off again by itself).
     */
    public void quickAck() {
        try {
            channel.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux, or a unix socket: nothing delays
        }
    }

    int read(ByteBuffer into) throws IOException {
        return channel.read(into);
    }

    /** Closes it; from any thread (the caps close another thread's client). */
    public void close() {
        if (!open.getAndSet(false)) {
            return;
        }
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (IOException e) {
            // already gone
        }
        closed.accept(this);
    }
}
