package org.poplock.readlog;

import picocli.CommandLine.Option;

/** readlog's options for /metrics and /health over HTTP. */
final class MetricsOptions implements Sectioned {

    @Override
    public String heading() {
        return "Metrics and health";
    }

    @Option(names = "--metrics", paramLabel = "ADDRESS",
            description = "serve /metrics (Prometheus) and /health over HTTP on inet:HOST:PORT (keep it on loopback)")
    String metrics;
}
