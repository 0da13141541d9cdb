package org.poplock.readlog;

import java.nio.file.Path;
import java.time.Duration;
import org.poplock.common.config.DurationConverter;
import picocli.CommandLine.Option;

/** readlog's options for the tcprules CDB it publishes beside the database, for tcpserver. */
final class TcpRulesOptions implements Sectioned {

    @Override
    public String heading() {
        return "The tcprules CDB (tcpserver)";
    }

    @Option(names = "--tcprules", paramLabel = "CDB",
            description = "also publish the live entries as a tcpserver rules CDB (built with tcprules, mode 0644), for tcpserver -x CDB;"
                    + " IPv6 ones when the tcprules program takes them (ucspi-tcp-ipv6)")
    Path tcpRules;

    @Option(names = "--tcprules-base", paramLabel = "FILE",
            description = "the admin's own tcprules rules (e.g. /etc/tcp.smtp): a grant keeps the rule tcpserver follows for its address"
                    + " and gains RELAYCLIENT; a deny stays a deny")
    Path tcpRulesBase;

    @Option(names = "--tcprules-program", paramLabel = "PROGRAM", defaultValue = "tcprules",
            description = "the tcprules that builds the CDB, of the same ucspi-tcp as the tcpserver that reads it (default: ${DEFAULT-VALUE})")
    String tcpRulesProgram;

    @Option(names = "--tcprules-refresh",
            description = "rebuild the tcprules CDB from the published database, without the grants that have expired, and exit"
                    + " (run every minute by poplock-tcprules.timer or the tcprules service directory)")
    boolean tcpRulesRefresh;

    @Option(names = "--tcprules-wait", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class, hidden = true,
            description = "how long one run of tcprules may take before it is killed")
    Duration tcpRulesWait;
}
