package org.poplock.readlog.policy;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/** Where the policy service listens, in Postfix's own notation: {@code unix:/path} or {@code inet:HOST:PORT}. */
public record PolicyAddress(Path unix, String host, int port) {

    public static PolicyAddress parse(String text) {
        if (text.startsWith("unix:")) {
            var path = text.substring(5);
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("--policy " + text + ": give the socket's absolute path, unix:/path");
            }
            return new PolicyAddress(Path.of(path), null, 0);
        }
        if (text.startsWith("inet:")) {
            var inet = org.poplock.readlog.ListenAddress.parse("--policy", text, "inet:127.0.0.1:10040");
            return new PolicyAddress(null, inet.host(), inet.port());
        }
        throw new IllegalArgumentException("--policy " + text + ": give unix:/path/to/socket or inet:HOST:PORT");
    }

    SocketAddress socketAddress() {
        return unix != null ? UnixDomainSocketAddress.of(unix) : new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return unix != null ? "unix:" + unix : "inet:" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
