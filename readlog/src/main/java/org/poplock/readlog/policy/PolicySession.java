package org.poplock.readlog.policy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.listen.Connection;
import org.poplock.readlog.listen.EventLoop;

/**
 * One policy client's framing: {@code name=value} lines ended by an empty line, requests answered
 * in turn until the client closes, stalls or misbehaves. Trouble (a line over {@link #MAX_LINE},
 * a request over {@link #MAX_REQUEST} or {@link #MAX_ATTRIBUTES} attributes, bytes that are not
 * text, a line that is no attribute, a request not whole within {@link #REQUEST_MILLIS} of its
 * first byte or of the connection) closes this connection alone without a reply, Postfix's rule in
 * trouble. It holds its current line and a {@link PolicyRequest}, never the other attributes.
 */
final class PolicySession implements EventLoop.Session {

    static final int MAX_LINE = 16 * 1024;
    static final int MAX_ATTRIBUTES = 1000;
    /** A request's lines in all: Postfix's are under 2 KiB. */
    static final int MAX_REQUEST = 64 * 1024;
    /** A client that has not sent a whole request this long after its first byte (or its connection) is dropped: Postfix sends one at once. */
    static final long REQUEST_MILLIS = 10_000;

    private final Connection connection;
    private final PolicyAnswers answers;
    private final long idleMillis;
    private final Troubles troubles;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final PolicyRequest.Builder request = new PolicyRequest.Builder();
    private byte[] line = new byte[512];
    private int length;
    /** Read by the reaper's thread too. */
    private volatile boolean midRequest;
    private int count;
    private int requestBytes;
    private volatile int answered;

    PolicySession(Connection connection, PolicyAnswers answers, long idleMillis, Troubles troubles) {
        this.connection = connection;
        this.answers = answers;
        this.idleMillis = idleMillis;
        this.troubles = troubles;
    }

    @Override
    public void received(ByteBuffer in) throws IOException {
        if (!midRequest) {
            midRequest = true; // a request begins: its time runs from its first byte
            connection.waitingSince(System.currentTimeMillis());
        }
        // Whole runs of bytes at a time: a hostile client's long lines cost a copy, not a call per byte.
        var bytes = in.array();
        int at = in.arrayOffset() + in.position();
        int end = in.arrayOffset() + in.limit();
        while (at < end) {
            int newline = at;
            while (newline < end && bytes[newline] != '\n') {
                newline++;
            }
            int run = newline - at;
            if (length + run > MAX_LINE) {
                throw trouble("long line", "a client sent a line over " + MAX_LINE / 1024 + " KiB; closed");
            }
            if (length + run > line.length) {
                line = Arrays.copyOf(line, Math.min(MAX_LINE, Math.max(length + run, line.length * 2)));
            }
            System.arraycopy(bytes, at, line, length, run);
            length += run;
            at = newline;
            if (at == end) {
                break;
            }
            at++; // the newline
            int n = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
            length = 0;
            if (n > 0) {
                attribute(n);
                continue;
            }
            answer();
            if (at < end) {
                connection.waitingSince(System.currentTimeMillis());
                midRequest = true; // the next request follows at once
            }
        }
    }

    /** One {@code name=value} line of {@code n} bytes; only the names a {@link PolicyRequest} keeps are made into text. */
    private void attribute(int n) throws IOException {
        requestBytes += n + 1;
        if (requestBytes > MAX_REQUEST) {
            throw trouble("long request", "a client sent a request over " + MAX_REQUEST / 1024 + " KiB; closed");
        }
        int eq = -1;
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            int b = line[i] & 0xff;
            if (b < 0x20 && b != '\t' || b == 0x7f) {
                throw trouble("not text", "a client sent bytes that are not text; closed");
            }
            ascii &= b < 0x80;
            if (b == '=' && eq < 0) {
                eq = i;
            }
        }
        if (!ascii) {
            try {
                utf8.decode(ByteBuffer.wrap(line, 0, n));
            } catch (CharacterCodingException e) {
                throw trouble("not text", "a client sent bytes that are not text; closed");
            }
        }
        if (eq <= 0) {
            throw trouble("no attribute", "a client sent a line that is no name=value attribute; closed");
        }
        if (++count > MAX_ATTRIBUTES) {
            throw trouble("too many attributes", "a client sent more than " + MAX_ATTRIBUTES + " attributes; closed");
        }
        var name = new String(line, 0, eq, StandardCharsets.UTF_8);
        if (PolicyRequest.keeps(name)) {
            request.take(name, new String(line, eq + 1, n - eq - 1, StandardCharsets.UTF_8), n - eq - 1);
        }
    }

    private void answer() throws IOException {
        var answer = answers.answer(request.build());
        if (answer.reply() == null) {
            throw trouble(answer.kind(), answer.line());
        }
        connection.write(ByteBuffer.wrap(answer.reply()));
        answered++;
        count = 0;
        requestBytes = 0;
        midRequest = false;
        connection.waitingSince(System.currentTimeMillis());
    }

    /** Says the trouble once a minute at most; the IOException closes the connection without a reply. */
    private IOException trouble(String kind, String line) {
        troubles.say(kind, line);
        return new IOException(kind);
    }

    @Override
    public void ended() {
        if (midRequest) {
            troubles.say("cut", "a client closed the connection mid-request");
        }
    }

    @Override
    public void flushed() {
        connection.waitingSince(System.currentTimeMillis());
    }

    @Override
    public boolean expired(long now) {
        long waited = now - connection.since();
        if ((midRequest || answered == 0 || connection.writing()) && waited > REQUEST_MILLIS) {
            troubles.say("stalled", "a client sent no whole request within " + REQUEST_MILLIS / 1000 + " s; closed");
            return true;
        }
        return !midRequest && answered > 0 && waited > idleMillis; // idle, as Postfix's own max_idle: not a trouble
    }
}
