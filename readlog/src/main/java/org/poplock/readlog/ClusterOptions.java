package org.poplock.readlog;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** readlog's options for sharing grants with the other hosts through Redis. */
final class ClusterOptions implements Sectioned {

    @Override
    public String heading() {
        return "Cluster: separate POP and SMTP hosts, through Redis";
    }

    @Option(names = "--cluster", paramLabel = "URL",
            description = "share grants with the other hosts through Redis: redis://HOST:PORT/DB, rediss://HOST:PORT/DB for TLS")
    String cluster;

    @Option(names = "--cluster-user", paramLabel = "NAME", description = "the Redis ACL user this host proves itself with")
    String clusterUser;

    @Option(names = "--cluster-password-file", paramLabel = "FILE", description = "the file holding that user's password (never on the command line)")
    Path clusterPasswordFile;

    @Option(names = "--cluster-ca", paramLabel = "FILE",
            description = "with rediss:// (required): the CA certificate (PEM) the Redis and sentinel certificates are checked against; no other CA is trusted")
    Path clusterCa;

    @Option(names = "--cluster-name", paramLabel = "NAME", defaultValue = "poplock",
            description = "the prefix of the cluster's keys and stream in Redis (default: ${DEFAULT-VALUE})")
    String clusterName;

    @Option(names = "--cluster-sentinel", paramLabel = "HOST:PORT", split = ",",
            description = "find the Redis primary through these sentinels (with --cluster-master); repeatable")
    List<String> clusterSentinels = new ArrayList<>();

    @Option(names = "--cluster-master", paramLabel = "NAME", description = "the sentinels' name of the primary")
    String clusterMaster;

    @Option(names = "--cluster-primaries", paramLabel = "HOST[:PORT]|NET/BITS", split = ",",
            description = "with --cluster-sentinel (required): the Redis servers the sentinels may name as primary; any other is refused")
    List<String> clusterPrimaries = new ArrayList<>();

    @Option(names = "--cluster-sentinel-user", paramLabel = "NAME", description = "the sentinels' ACL user (else their requirepass alone)")
    String clusterSentinelUser;

    @Option(names = "--cluster-sentinel-password-file", paramLabel = "FILE",
            description = "the file holding the sentinels' password (their requirepass, or that user's)")
    Path clusterSentinelPasswordFile;

    @Option(names = "--cluster-host", paramLabel = "NAME", description = "this host's name in the cluster (default: the host name)")
    String clusterHost;
}
