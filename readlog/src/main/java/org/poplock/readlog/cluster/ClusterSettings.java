package org.poplock.readlog.cluster;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.poplock.common.address.Cidr;
import org.poplock.common.address.HostName;
import org.poplock.common.address.HostPort;
import org.poplock.common.address.IpAddress;
import org.poplock.common.config.SecretFile;

/**
 * Where the cluster's Redis is and how readlog proves itself to it: {@code --cluster URL} and the
 * options beside it, checked. The passwords are read from their files here and appear in no
 * message, nor in {@link #toString} ({@link #where} is the form that is logged).
 */
public record ClusterSettings(String host, int port, int database, boolean tls, String user, String password, Path ca,
        String name, Sentinels sentinels, String me) {

    /**
     * How the primary is found: the sentinels asked (with their own user and password, over TLS
     * when Redis is), and the servers they may name; {@link #NONE} when the URL names the primary.
     */
    public record Sentinels(List<HostPort> at, String master, String user, String password, List<AllowedPrimary> primaries) {

        static final Sentinels NONE = new Sentinels(List.of(), null, null, null, List.of());

        boolean none() {
            return at.isEmpty();
        }

        /** Whether a sentinel's answer names a server the admin allowed. */
        boolean allows(String host, int port) {
            return primaries.stream().anyMatch(p -> p.matches(host, port));
        }
    }

    /**
     * One entry of {@code --cluster-primaries}: a network or address (any port), an address or host
     * name with a port, or a host name (any port). Host names are compared as written with what the
     * sentinels answer (names only when they announce names), so no resolver is asked.
     */
    public record AllowedPrimary(Cidr network, String name, int port) {

        static AllowedPrimary parse(String text) {
            var what = "--cluster-primaries " + text;
            if (text.contains("/") || IpAddress.isLiteral(text)) {
                try {
                    return new AllowedPrimary(Cidr.parse(text), null, 0);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(what + ": " + e.getMessage());
                }
            }
            int colon = text.lastIndexOf(':');
            var host = colon < 0 ? text : HostPort.unbracketed(text.substring(0, colon));
            int port = colon < 0 ? 0 : ClusterSettings.port(text.substring(colon + 1), what);
            if (IpAddress.isLiteral(host)) {
                return new AllowedPrimary(Cidr.parse(host), null, port);
            }
            if (!HostName.isValid(host)) {
                throw new IllegalArgumentException(what + ": give HOST, HOST:PORT, ADDRESS or NETWORK/BITS");
            }
            return new AllowedPrimary(null, host.toLowerCase(Locale.ROOT), port);
        }

        boolean matches(String host, int port) {
            if (this.port != 0 && this.port != port) {
                return false;
            }
            if (network != null) {
                return IpAddress.isLiteral(host) && network.contains(IpAddress.canonical(host));
            }
            return name.equals(host.toLowerCase(Locale.ROOT));
        }

        @Override
        public String toString() {
            var where = network != null ? network.toString().replaceFirst("/(32|128)$", "") : name;
            return port == 0 ? where : new HostPort(where, port).toString();
        }
    }

    /** What the sentinel options say, as given. */
    public record SentinelOptions(List<String> at, String master, String user, Path passwordFile, List<String> primaries) {
    }

    /**
     * The settings from the options; IllegalArgumentException with a one-line reason for a URL
     * that is not redis:// or rediss://, a password in the URL (it belongs in --cluster-password-file,
     * off the command line), rediss:// without --cluster-ca, an unreadable password or CA file, a
     * bad name, sentinels without the servers they may name.
     */
    public static ClusterSettings of(String url, String user, Path passwordFile, Path ca, String name, SentinelOptions sentinel,
            String me) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--cluster " + url + " is not a URL: " + e.getReason());
        }
        var scheme = uri.getScheme();
        if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
            throw new IllegalArgumentException("--cluster " + url + ": give redis://HOST:PORT/DB or rediss://HOST:PORT/DB");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("--cluster: no user or password in the URL (it would be in the process list);"
                    + " use --cluster-user and --cluster-password-file");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("--cluster " + url + " names no host");
        }
        int database = 0;
        var path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        if (!path.isEmpty()) {
            if (!path.matches("[0-9]{1,2}")) {
                throw new IllegalArgumentException("--cluster " + url + ": the database is a number, not " + path);
            }
            database = Integer.parseInt(path);
        }
        var password = password(passwordFile, "--cluster-password-file");
        boolean tls = "rediss".equals(scheme);
        if (tls && ca == null) {
            throw new IllegalArgumentException("--cluster " + url + " needs --cluster-ca FILE: the CA that signed the cluster's"
                    + " Redis and sentinel certificates (public CAs are not trusted)");
        }
        if (ca != null && !Files.isReadable(ca)) {
            throw new IllegalArgumentException("--cluster-ca " + ca + " cannot be read");
        }
        if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("--cluster-name " + name + ": letters, digits, '_', '.', '-' only");
        }
        if (!HostName.isValid(me)) {
            throw new IllegalArgumentException("--cluster-host " + me + " is not a host name");
        }
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        return new ClusterSettings(uri.getHost().replaceAll("^\\[|\\]$", ""), port, database, tls, user, password,
                ca, name, sentinels(sentinel), me);
    }

    private static Sentinels sentinels(SentinelOptions o) {
        if (o.at().isEmpty()) {
            if (o.master() != null || o.user() != null || o.passwordFile() != null || !o.primaries().isEmpty()) {
                throw new IllegalArgumentException("--cluster-master, --cluster-sentinel-user, --cluster-sentinel-password-file and"
                        + " --cluster-primaries go with --cluster-sentinel HOST:PORT");
            }
            return Sentinels.NONE;
        }
        var endpoints = new ArrayList<HostPort>();
        for (var s : o.at()) {
            endpoints.add(endpoint(s, "--cluster-sentinel"));
        }
        if (o.master() == null || o.master().isEmpty()) {
            throw new IllegalArgumentException("--cluster-sentinel needs --cluster-master NAME (the sentinels' name of the primary)");
        }
        if (o.primaries().isEmpty()) {
            throw new IllegalArgumentException("--cluster-sentinel needs --cluster-primaries HOST[:PORT]|NETWORK/BITS,...: the Redis"
                    + " servers the sentinels may name as primary (a sentinel's answer is trusted no further)");
        }
        var primaries = o.primaries().stream().map(AllowedPrimary::parse).toList();
        return new Sentinels(List.copyOf(endpoints), o.master(), o.user(), password(o.passwordFile(), "--cluster-sentinel-password-file"),
                primaries);
    }

    /** The password in {@code file} (one line), or null without a file. */
    private static String password(Path file, String option) {
        if (file == null) {
            return null;
        }
        var password = SecretFile.read(option, file);
        if (password.isEmpty() || password.contains("\n")) {
            throw new IllegalArgumentException(option + " " + file + " must hold the password on one line");
        }
        return password;
    }

    private static int port(String text, String what) {
        try {
            return HostPort.port(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage());
        }
    }

    /** A sentinel's HOST:PORT, given as {@code what}. */
    private static HostPort endpoint(String text, String what) {
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " " + text + ": " + e.getMessage());
        }
    }

    /** The cluster as it is logged: no password, ever. */
    public String where() {
        var primary = (tls ? "rediss://" : "redis://") + new HostPort(host, port) + "/" + database;
        return sentinels.none() ? primary : "sentinels " + sentinels.at() + " (" + sentinels.master() + ")";
    }

    String streamKey() {
        return name + ":stream";
    }

    String grantPrefix() {
        return name + ":grant:";
    }

    /** A flagged user's key: {@code NAME:flag:USER}, its value {@code until host}, expiring with the flag. */
    String flagPrefix() {
        return name + ":flag:";
    }

    @Override
    public String toString() {
        return where() + (user == null ? "" : " as " + user);
    }
}
