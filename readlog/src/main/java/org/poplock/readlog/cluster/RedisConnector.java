package org.poplock.readlog.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;

/**
 * Opens one connection to the cluster's primary: through the sentinels when there are some (asked
 * at every connect, so a failover is followed by the next reconnect), with the ACL user and
 * password, over TLS verified against --cluster-ca (or the JDK's CAs) including the host name.
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
        var address = settings.sentinels().isEmpty() ? new HostAndPort(settings.host(), settings.port()) : primaryFromSentinels();
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
            if (!(e instanceof redis.clients.jedis.exceptions.JedisConnectionException)) {
                throw e;
            }
            var what = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : e.getCause().getMessage());
            if (tls == null && (what.contains("end of stream") || what.contains("Connection reset"))) {
                throw new redis.clients.jedis.exceptions.JedisConnectionException(address
                        + " closed the connection at its first command: a TLS-only server? then give rediss://", e);
            }
            throw e;
        }
        try {
            if (!settings.sentinels().isEmpty()) {
                var role = jedis.role();
                var first = role.isEmpty() ? null : role.get(0);
                var name = first instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.US_ASCII) : String.valueOf(first);
                if (!"master".equals(name)) {
                    throw new IllegalStateException(address + ", named primary by the sentinels, is a replica (a failover in progress)");
                }
            }
            return jedis;
        } catch (RuntimeException e) {
            jedis.close();
            throw e;
        }
    }

    private HostAndPort primaryFromSentinels() {
        RuntimeException last = null;
        for (var sentinel : settings.sentinels()) {
            var config = DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2).clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
                    .connectionTimeoutMillis(1000).socketTimeoutMillis(1000).build();
            try (var jedis = new Jedis(new HostAndPort(sentinel.host(), sentinel.port()), config)) {
                var address = jedis.sentinelGetMasterAddrByName(settings.master());
                if (address != null && address.size() == 2) {
                    return new HostAndPort(address.get(0), Integer.parseInt(address.get(1)));
                }
                last = new IllegalStateException("sentinel " + sentinel + " knows no primary " + settings.master());
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no sentinel answered with the primary: " + Failures.reason(last));
    }

    private static SSLParameters verifyingHostName() {
        var parameters = new SSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        return parameters;
    }

    private static SSLSocketFactory socketFactory(ClusterSettings settings) throws IOException, GeneralSecurityException {
        if (settings.ca() == null) {
            return (SSLSocketFactory) SSLSocketFactory.getDefault();
        }
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
