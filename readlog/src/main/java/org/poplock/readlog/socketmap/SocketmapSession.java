package org.poplock.readlog.socketmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.listen.Connection;
import org.poplock.readlog.listen.EventLoop;

/**
 * One socketmap client on the listener's event loop: its bytes not yet a whole request (at most
 * {@link SocketmapCodec#MAX_REQUEST} and a netstring's length), each whole request answered at once
 * and in order. Bytes that are no request get {@code PERM} and the connection ends after it.
 */
final class SocketmapSession implements EventLoop.Session {

    private final Connection connection;
    private final SocketmapAnswers answers;
    private final Troubles troubles;
    private final LongAdder refused;
    private final byte[] in = new byte[SocketmapCodec.MAX_REQUEST + 8];
    private int filled;
    private boolean ending;

    SocketmapSession(Connection connection, SocketmapAnswers answers, Troubles troubles, LongAdder refused) {
        this.connection = connection;
        this.answers = answers;
        this.troubles = troubles;
        this.refused = refused;
    }

    @Override
    public void received(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining() && !ending) {
            if (filled == 0) {
                connection.waitingSince(System.currentTimeMillis());
            }
            int n = Math.min(bytes.remaining(), in.length - filled);
            bytes.get(in, filled, n);
            filled += n;
            answerWhatIsWhole();
        }
    }

    /** Answers each whole request in the buffer in turn; a request's beginning waits for more. */
    private void answerWhatIsWhole() throws IOException {
        while (filled > 0 && !ending) {
            var decoded = SocketmapCodec.decode(in, filled);
            if (decoded.trouble() != null) {
                troubles.say(decoded.trouble(), "a client sent " + decoded.trouble() + "; answered PERM and closed");
                refused.increment();
                ending = true;
                filled = 0;
                connection.write(ByteBuffer.wrap(SocketmapCodec.perm(decoded.trouble())));
                connection.closeAfterWriting();
                return;
            }
            if (decoded.request() == null) {
                return;
            }
            System.arraycopy(in, decoded.consumed(), in, 0, filled - decoded.consumed());
            filled -= decoded.consumed();
            connection.write(ByteBuffer.wrap(answers.answer(decoded.request())));
            connection.waitingSince(System.currentTimeMillis());
        }
    }

    @Override
    public void ended() {
        if (filled > 0) {
            troubles.say("cut", "a client closed the connection mid-request");
        }
    }

    @Override
    public void flushed() {
    }

    @Override
    public boolean expired(long nowMillis) {
        long waited = nowMillis - connection.since();
        if (filled > 0 && waited > SocketmapServer.REQUEST_MILLIS) {
            troubles.say("stalled", "a client sent no whole request within " + SocketmapServer.REQUEST_MILLIS / 1000 + " s; closed");
            refused.increment();
            return true;
        }
        return filled == 0 && waited > SocketmapServer.IDLE_MILLIS; // idle: the MTA reconnects when it next asks
    }
}
