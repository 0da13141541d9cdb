package org.poplock.readlog;

import java.net.InetSocketAddress;

/**
 * A TCP address readlog listens on, as its options give it: {@code inet:HOST:PORT} ({@code inet:}
 * may be left out; an IPv6 host in brackets). One reading for {@code --policy}, {@code --metrics}
 * and {@code --dovecot-policy}.
 */
public record ListenAddress(String host, int port) {

    /** {@code text}, the value of {@code option}; IllegalArgumentException with one line naming both and {@code example}. */
    public static ListenAddress parse(String option, String text, String example) {
        var rest = text.startsWith("inet:") ? text.substring(5) : text;
        int colon = rest.lastIndexOf(':');
        if (colon <= 0 || !rest.substring(colon + 1).matches("[0-9]{1,5}")) {
            throw new IllegalArgumentException(option + " " + text + ": give inet:HOST:PORT, e.g. " + example);
        }
        int port = Integer.parseInt(rest.substring(colon + 1));
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(option + " " + text + ": the port is not from 1 to 65535");
        }
        return new ListenAddress(rest.substring(0, colon).replaceAll("^\\[|\\]$", ""), port);
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return "inet:" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
