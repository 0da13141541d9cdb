package org.poplock.readlog.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the cluster's Redis is and how readlog proves itself to it: {@code --cluster URL} and the
 * options beside it, checked. The password is read from its file here and appears in no message,
 * nor in {@link #toString} ({@link #where} is the form that is logged).
 */
public record ClusterSettings(String host, int port, int database, boolean tls, String user, String password, Path ca,
        String name, List<Endpoint> sentinels, String master, String me) {

    /** A host and port, as given. */
    public record Endpoint(String host, int port) {
        static Endpoint parse(String text, String what) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || colon == text.length() - 1) {
                throw new IllegalArgumentException(what + " " + text + " is not HOST:PORT");
            }
            var host = text.substring(0, colon).replaceAll("^\\[|\\]$", "");
            return new Endpoint(host, ClusterSettings.port(text.substring(colon + 1), what + " " + text));
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * The settings from the options; IllegalArgumentException with a one-line reason for a URL
     * that is not redis:// or rediss://, a password in the URL (it belongs in --cluster-password-file,
     * off the command line), an unreadable password or CA file, a bad name.
     */
    public static ClusterSettings of(String url, String user, Path passwordFile, Path ca, String name, List<String> sentinels,
            String master, String me) {
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
        String password = null;
        if (passwordFile != null) {
            try {
                password = Files.readString(passwordFile, StandardCharsets.UTF_8).replaceFirst("\r?\n$", "");
            } catch (IOException e) {
                throw new IllegalArgumentException("--cluster-password-file " + passwordFile + " cannot be read: " + e.getMessage());
            }
            if (password.isEmpty() || password.contains("\n")) {
                throw new IllegalArgumentException("--cluster-password-file " + passwordFile + " must hold the password on one line");
            }
        }
        if (ca != null && !Files.isReadable(ca)) {
            throw new IllegalArgumentException("--cluster-ca " + ca + " cannot be read");
        }
        if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("--cluster-name " + name + ": letters, digits, '_', '.', '-' only");
        }
        if (!ClusterEvent.HOST_NAME.matcher(me).matches()) {
            throw new IllegalArgumentException("--cluster-host " + me + " is not a host name");
        }
        var endpoints = new ArrayList<Endpoint>();
        for (var s : sentinels) {
            endpoints.add(Endpoint.parse(s, "--cluster-sentinel"));
        }
        if (!endpoints.isEmpty() && (master == null || master.isEmpty())) {
            throw new IllegalArgumentException("--cluster-sentinel needs --cluster-master NAME (the sentinels' name of the primary)");
        }
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        return new ClusterSettings(uri.getHost().replaceAll("^\\[|\\]$", ""), port, database, "rediss".equals(scheme), user, password,
                ca, name, List.copyOf(endpoints), master, me);
    }

    private static int port(String text, String what) {
        if (!text.matches("[0-9]{1,5}") || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
            throw new IllegalArgumentException(what + ": the port is not a number from 1 to 65535");
        }
        return Integer.parseInt(text);
    }

    /** The cluster as it is logged: no password, ever. */
    public String where() {
        var primary = (tls ? "rediss://" : "redis://") + new Endpoint(host, port) + "/" + database;
        return sentinels.isEmpty() ? primary : "sentinels " + sentinels + " (" + master + ")";
    }

    String streamKey() {
        return name + ":stream";
    }

    String grantPrefix() {
        return name + ":grant:";
    }

    @Override
    public String toString() {
        return where() + (user == null ? "" : " as " + user);
    }
}
