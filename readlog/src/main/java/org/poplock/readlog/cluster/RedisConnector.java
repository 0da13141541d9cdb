package org.poplock.readlog.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import org.poplock.common.address.Printable;

/**
 * Opens one connection to the cluster's primary: through the sentinels when there are some (asked
 * at every connect, so a failover is followed by the next reconnect, and each answer checked
 * against --cluster-primaries), with the ACL user and password, over TLS verified against
 * --cluster-ca alone, including the host name. The sentinels are reached as Redis is: over TLS
 * with the same CA when it is, with their own user and password.
 */
final class RedisConnector {

    private final ClusterSettings settings;
    private final SSLSocketFactory tls;

    RedisConnector(ClusterSettings settings) {
        this.settings = settings;
        try {
            this.tls = settings.tls() ? socketFactory(settings) : null;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("--cluster-ca " + settings.ca() + " is no CA certificate: " + e.getMessage());
        }
    }

    /** A connection, authenticated and checked to be the primary; {@code timeoutMillis} bounds every reply. */
    Jedis connect(int timeoutMillis) {
        var address = settings.sentinels().none() ? new HostAndPort(settings.host(), settings.port()) : primaryFromSentinels();
        var config = DefaultJedisClientConfig.builder()
                .user(settings.user())
                .password(settings.password())
                .database(settings.database())
                .protocol(RedisProtocol.RESP2)
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
                .clientName("poplock-readlog-" + settings.me())
                .connectionTimeoutMillis(2000)
                .socketTimeoutMillis(timeoutMillis)
                .ssl(tls != null)
                .sslSocketFactory(tls)
                .sslParameters(tls == null ? null : verifyingHostName())
                .build();
        Jedis jedis = null;
        try {
            jedis = new Jedis(address, config);
            jedis.ping();
        } catch (RuntimeException e) {
            if (jedis != null) {
                jedis.close();
            }
            throw plainAgainstTls(e, address);
        }
        try {
            if (!settings.sentinels().none()) {
                var role = jedis.role();
                var first = role.isEmpty() ? null : role.get(0);
                var name = first instanceof byte[] b ? new String(b, StandardCharsets.US_ASCII) : String.valueOf(first);
                if (!"master".equals(name)) {
                    throw new NoPrimary(address + ", named primary by the sentinels, is a replica (a failover in progress)");
                }
            }
            return jedis;
        } catch (RuntimeException e) {
            jedis.close();
            throw e;
        }
    }

    /** A connection refused at its first command by a TLS-only server said so; other failures as they are. */
    private RuntimeException plainAgainstTls(RuntimeException e, Object address) {
        if (!(e instanceof JedisConnectionException)) {
            return e;
        }
        var what = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : e.getCause().getMessage());
        if (tls == null && (what.contains("end of stream") || what.contains("Connection reset"))) {
            return new JedisConnectionException(address + " closed the connection at its first command: a TLS-only server? then give rediss://", e);
        }
        return e;
    }

    /**
     * The primary as the first sentinel that answers names it, when --cluster-primaries allows it;
     * a sentinel that names another server is not believed, and the next is asked. When none
     * answers with an allowed primary, one line with each sentinel's reason.
     */
    private HostAndPort primaryFromSentinels() {
        var sentinels = settings.sentinels();
        var reasons = new ArrayList<String>();
        for (var sentinel : sentinels.at()) {
            var config = DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2).clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
                    .user(sentinels.user())
                    .password(sentinels.password())
                    .connectionTimeoutMillis(1000)
                    .socketTimeoutMillis(1000)
                    .ssl(tls != null)
                    .sslSocketFactory(tls)
                    .sslParameters(tls == null ? null : verifyingHostName())
                    .build();
            try (var jedis = new Jedis(new HostAndPort(sentinel.host(), sentinel.port()), config)) {
                var address = jedis.sentinelGetMasterAddrByName(sentinels.master());
                if (address == null || address.size() != 2) {
                    reasons.add(sentinel + ": knows no primary " + sentinels.master());
                    continue;
                }
                var host = address.get(0);
                var port = address.get(1);
                if (host == null || port == null || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                    reasons.add(sentinel + ": answered no address (" + Printable.of(host) + " " + Printable.of(port) + ")");
                } else if (!sentinels.allows(host, Integer.parseInt(port))) {
                    reasons.add(sentinel + ": named " + Printable.word(host) + ":" + port + " as primary, which --cluster-primaries "
                            + sentinels.primaries() + " does not allow: refused");
                } else {
                    return new HostAndPort(host, Integer.parseInt(port));
                }
            } catch (RuntimeException e) {
                reasons.add(sentinel + ": " + Failures.reason(plainAgainstTls(e, "sentinel " + sentinel)));
            }
        }
        throw new NoPrimary("no sentinel named an allowed primary: " + String.join("; ", reasons));
    }

    /** The sentinels named no primary that may be used, or named a replica: an outage like any other, said as it is. */
    static final class NoPrimary extends JedisConnectionException {
        private static final long serialVersionUID = 1L;

        NoPrimary(String message) {
            super(message);
        }
    }

    private static SSLParameters verifyingHostName() {
        var parameters = new SSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        return parameters;
    }

    private static SSLSocketFactory socketFactory(ClusterSettings settings) throws IOException, GeneralSecurityException {
        var store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(settings.ca())) {
            int n = 0;
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca" + n++, cert);
            }
            if (n == 0) {
                throw new GeneralSecurityException("no certificate in it");
            }
        }
        var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        var context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context.getSocketFactory();
    }
}
