package org.poplock.common.address;

/**
 * A host and a port as an option gives them, {@code HOST:PORT}, an IPv6 address in brackets
 * ({@code [2001:db8::1]:6379}): one reading for the addresses readlog listens on and those it
 * connects to, and one way of writing them back.
 */
public record HostPort(String host, int port) {

    /** What a port out of range or not a number is told. */
    public static final String BAD_PORT = "the port is not a number from 1 to 65535";

    /** What a text without a host or without a port is told. */
    public static final String NOT_HOST_PORT = "give HOST:PORT";

    /** {@code text} as HOST:PORT; IllegalArgumentException {@link #NOT_HOST_PORT} or {@link #BAD_PORT}, for the caller to name the option. */
    public static HostPort parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(NOT_HOST_PORT);
        }
        return new HostPort(unbracketed(text.substring(0, colon)), port(text.substring(colon + 1)));
    }

    /** A port from 1 to 65535; IllegalArgumentException {@link #BAD_PORT} for anything else. */
    public static int port(String text) {
        if (!text.matches("[0-9]{1,5}") || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
            throw new IllegalArgumentException(BAD_PORT);
        }
        return Integer.parseInt(text);
    }

    /** A host as written before its port, its brackets (around an IPv6 address) taken off. */
    public static String unbracketed(String host) {
        return host.replaceAll("^\\[|\\]$", "");
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
