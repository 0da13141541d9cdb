package org.poplock.readlog.policy;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.poplock.readlog.ListenAddress;

/** Where the policy service listens, in Postfix's own notation: {@code unix:/path} or {@code inet:HOST:PORT}. */
public record PolicyAddress(Path unix, String host, int port) {

    public static PolicyAddress parse(String text) {
        return parse("--policy", text, "inet:127.0.0.1:10040");
    }

    /** {@code text}, the value of {@code option}; IllegalArgumentException with one line naming both and {@code example} of inet. */
    public static PolicyAddress parse(String option, String text, String example) {
        if (text.startsWith("unix:")) {
            var path = text.substring(5);
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException(option + " " + text + ": give the socket's absolute path, unix:/path");
            }
            return new PolicyAddress(Path.of(path), null, 0);
        }
        if (text.startsWith("inet:")) {
            var inet = ListenAddress.parse(option, text, example);
            return new PolicyAddress(null, inet.host(), inet.port());
        }
        throw new IllegalArgumentException(option + " " + text + ": give unix:/path/to/socket or inet:HOST:PORT");
    }

    /** A TCP address's socket address (null for a unix socket). */
    public InetSocketAddress inetAddress() {
        return unix != null ? null : new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return unix != null ? "unix:" + unix : "inet:" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
