package org.poplock.readlog;

import java.net.InetSocketAddress;
import org.poplock.common.address.HostPort;

/**
 * A TCP address readlog listens on, as its options give it: {@code inet:HOST:PORT} ({@code inet:}
 * may be left out; an IPv6 host in brackets). One reading for {@code --policy}, {@code --metrics}
 * and {@code --dovecot-policy}.
 */
public record ListenAddress(String host, int port) {

    /** {@code text}, the value of {@code option}; IllegalArgumentException with one line naming both and {@code example}. */
    public static ListenAddress parse(String option, String text, String example) {
        HostPort where;
        try {
            where = HostPort.parse(text.startsWith("inet:") ? text.substring(5) : text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + text + ": "
                    + (e.getMessage().equals(HostPort.BAD_PORT) ? e.getMessage() : "give inet:HOST:PORT, e.g. " + example));
        }
        return new ListenAddress(where.host(), where.port());
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return "inet:" + new HostPort(host, port);
    }
}
