package org.poplock.readlog.parse;

import java.time.Instant;

/**
 * A successful POP3/IMAP login read from a log line: canonical client address, user, when, which
 * definition saw it, the server's session id where the definition captures one (else null), and
 * whether {@code time} is the login's own ({@code false}: the line had no time, and {@code time}
 * is when readlog read it).
 */
public record Login(String ip, String user, Instant time, String server, String session, boolean timed) {

    public Login(String ip, String user, Instant time, String server, String session) {
        this(ip, user, time, server, session, true);
    }

    public Login(String ip, String user, Instant time, String server) {
        this(ip, user, time, server, null, true);
    }
}
