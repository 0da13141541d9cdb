package org.poplock.readlog.cluster;

import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** A Redis client's failure in a few words an admin can act on, never a stack trace. */
final class Failures {

    private Failures() {
    }

    static String reason(Throwable e) {
        if (e == null) {
            return "no answer";
        }
        if (e instanceof RedisConnector.NoPrimary) {
            return e.getMessage(); // each sentinel's reason is in it already
        }
        var message = innermost(e);
        if (message.startsWith("NOPERM")) {
            return "refused by its ACL (" + message + "): is this host's user allowed to write?";
        }
        if (e instanceof JedisAccessControlException || message.startsWith("WRONGPASS") || message.startsWith("NOAUTH")) {
            return "wrong user or password (" + message + ")";
        }
        if (e instanceof JedisConnectionException && e.getMessage() != null && e.getMessage().contains("rediss://")) {
            return e.getMessage();
        }
        if (refusedCertificate(e) || message.contains("PKIX") || message.contains("No subject alternative") || message.contains("certificate")) {
            return "TLS certificate not trusted: " + message;
        }
        return message;
    }

    /** A handshake that failed on the server's certificate (not one from another CA, or for another name), at any depth. */
    private static boolean refusedCertificate(Throwable e) {
        for (var cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof CertificateException || cause instanceof SSLHandshakeException) {
                return true;
            }
        }
        return false;
    }

    private static String innermost(Throwable e) {
        var cause = e;
        var message = e.getMessage();
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
            if (cause.getMessage() != null) {
                message = cause.getMessage();
            }
        }
        return message == null ? e.getClass().getSimpleName() : message.replaceAll("[\\r\\n]+", " ");
    }
}
