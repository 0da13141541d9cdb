package org.poplock.relaylock;

import java.util.List;
import org.poplock.common.config.PoplockVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * relaylock's command line as picocli sees it: for {@code --help}, the man page and shell
 * completion only. The per-connection path parses these same names ({@link RelaylockOptions}) by hand,
 * because loading picocli would cost every SMTP connection 40-240 ms.
 */
@Command(header = "set RELAYCLIENT for SMTP clients that logged in over POP3/IMAP, then run qmail-smtpd",
        name = "relaylock", versionProvider = PoplockVersion.class, sortOptions = false,
        description = {"Run by tcpserver for every SMTP connection: sets RELAYCLIENT when TCPREMOTEIP has a live grant in the published "
            + "database (its expiry as readlog stored it: the same answer showallowed and the policy service give), then becomes "
            + "PROGRAM (e.g. /var/qmail/bin/qmail-smtpd). The timeout setting is readlog's, not relaylock's.",
            "It never stops mail: on any trouble with the relay database or TCPREMOTEIP it writes one line on stderr and runs "
            + "PROGRAM without RELAYCLIENT. An existing RELAYCLIENT (tcprules) is left as it is.",
            "PROGRAM is looked up on PATH as tcpserver does (each directory tried, never through a shell) and gets its "
            + "arguments and environment byte for byte, descriptors 0, 1 and 2, and no blocked signal."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"n:PROGRAM's own", "111:PROGRAM cannot be run, or none is given"},
        footerHeading = "%nEnvironment:%n",
        footer = {"TCPREMOTEIP  the client's address, set by tcpserver",
            "POPLOCK_DB, POPLOCK_MAX_LOGIN_AGE, POPLOCK_RELAYCLIENT_VALUE, POPLOCK_CONFIG  as the options; a flag wins"})
public final class RelaylockCommand {

    @Option(names = RelaylockOptions.DB, paramLabel = "PATH", description = "published relay database (default: /var/lib/poplock/relay.db)")
    String db;

    @Option(names = RelaylockOptions.CONFIG, paramLabel = "FILE", description = "configuration file (default: $POPLOCK_CONFIG, else /etc/poplock/poplock.conf)")
    String config;

    @Option(names = RelaylockOptions.MAX_LOGIN_AGE, paramLabel = "DURATION",
            description = "also refuse a live grant whose login is older than this (e.g. 8h), even when readlog kept it for an open "
                + "session or an admin granted longer (default: none; each grant's stored expiry decides alone)")
    String maxLoginAge;

    @Option(names = RelaylockOptions.RELAYCLIENT_VALUE, paramLabel = "VALUE",
            description = "the value RELAYCLIENT gets (default: empty, as qmail-smtpd needs: it appends the value to every recipient)")
    String relayClientValue;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Option(names = "--version", versionHelp = true, description = "show the version and exit")
    boolean version;

    @Parameters(index = "0", paramLabel = "PROGRAM", description = "the program to become, e.g. /var/qmail/bin/qmail-smtpd")
    String program;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "its arguments")
    List<String> arguments;
}
