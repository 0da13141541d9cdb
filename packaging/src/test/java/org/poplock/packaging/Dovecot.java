package org.poplock.packaging;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Dovecot's log lines, in the form rsyslog writes them by default (RFC 3339 stamps). */
final class Dovecot {

    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);

    private Dovecot() {
    }

    static String login(Instant time, String protocol, String ip, String user) {
        return RFC3339.format(time) + " mail dovecot: " + protocol + "-login: Login: user=<" + user + ">, method=PLAIN, rip=" + ip
                + ", lip=192.0.2.1, mpid=4711, TLS, session=<AbCdEfGh>\n";
    }

    static String failed(Instant time, String ip, String user) {
        return RFC3339.format(time) + " mail dovecot: pop3-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<" + user
                + ">, method=PLAIN, rip=" + ip + ", lip=192.0.2.1, TLS, session=<AbCdEfGh>\n";
    }
}
