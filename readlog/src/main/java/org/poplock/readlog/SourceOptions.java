package org.poplock.readlog;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.poplock.readlog.source.PipeReader;
import picocli.CommandLine.Option;

/** readlog's options for its sources besides the log files: syslog FIFOs, the systemd journal, Dovecot's auth policy reports. */
final class SourceOptions implements Sectioned {

    @Override
    public String heading() {
        return "Other sources: FIFOs, the journal, Dovecot";
    }

    @Option(names = "--fifo", paramLabel = "PATH", split = ",",
            description = "a FIFO syslogd writes to (created if missing); read without ever blocking the writer")
    List<Path> fifos = new ArrayList<>();

    @Option(names = "--fifo-queue", paramLabel = "LINES", defaultValue = "" + PipeReader.QUEUE_LINES, hidden = true,
            description = "lines a FIFO's queue holds before the oldest are dropped")
    int fifoQueue;

    @Option(names = "--journal",
            description = "read logins from the systemd journal (through journalctl), resuming at the cursor saved in the state")
    boolean journal;

    @Option(names = "--journal-match", paramLabel = "FIELD=VALUE", split = ",",
            description = "journal entries to read, as journalctl's matches (repeatable; default: the units of the supported servers, "
                    + "_SYSTEMD_UNIT=dovecot.service ...)")
    List<String> journalMatches = new ArrayList<>();

    @Option(names = "--journal-directory", paramLabel = "DIR",
            description = "read the journal files in DIR (journalctl --directory; e.g. what systemd-journal-remote writes) instead of the system journal")
    Path journalDirectory;

    @Option(names = "--journalctl", paramLabel = "PROGRAM", defaultValue = "journalctl", hidden = true,
            description = "the journalctl to run")
    String journalctl;

    @Option(names = "--dovecot-policy", paramLabel = "ADDRESS",
            description = "be Dovecot's auth policy server on inet:HOST:PORT (keep it on loopback): its reports of successful POP3/IMAP logins are recorded")
    String dovecotPolicy;

    @Option(names = "--dovecot-policy-secret-file", paramLabel = "FILE",
            description = "the secret Dovecot sends as Authorization: Bearer SECRET (auth_policy_server_api_header)")
    Path dovecotPolicySecretFile;
}
