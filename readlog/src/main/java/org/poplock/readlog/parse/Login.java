package org.poplock.readlog.parse;

import java.time.Instant;

/**
 * A successful POP3/IMAP login read from a log line: canonical client address, user, when, which
 * definition saw it, and the server's session id where the definition captures one (else null).
 */
public record Login(String ip, String user, Instant time, String server, String session) {

    public Login(String ip, String user, Instant time, String server) {
        this(ip, user, time, server, null);
    }
}
