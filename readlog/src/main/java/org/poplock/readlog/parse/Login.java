package org.poplock.readlog.parse;

import java.time.Instant;

/** A successful POP3/IMAP login read from a log line: canonical client address, user, when, and which definition saw it. */
public record Login(String ip, String user, Instant time, String server) {
}
