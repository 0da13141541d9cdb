package org.poplock.relaylock;

import java.time.Instant;
import picocli.CommandLine;

/**
 * {@code relaylock [options] PROGRAM [ARG...]}, run by tcpserver for every SMTP connection:
 * looks up {@code TCPREMOTEIP} in the published relay database, sets {@code RELAYCLIENT} for an
 * address with a live entry, and becomes PROGRAM. Parse, decide, exec.
 *
 * <p>It must never stop mail: any trouble on the relay side (no database, a damaged one, a bad
 * address, an unknown option) costs one line on stderr and PROGRAM runs without RELAYCLIENT.
 * Exit 111 only when PROGRAM cannot be run, or the command line names none.
 */
public final class Relaylock {

    static final String USAGE = "usage: relaylock [--db PATH] [--config FILE] [--max-login-age DURATION] [--relayclient-value VALUE] "
            + "PROGRAM [ARG...]; relaylock --help tells more";

    private Relaylock() {
    }

    public static void main(String[] args) {
        var options = RelaylockOptions.parse(args);
        if (options.help() != null) {
            // Only here is picocli loaded: the per-connection path parses by hand.
            System.exit(new CommandLine(new RelaylockCommand()).execute(options.help()));
        }
        options.problems().forEach(Relaylock::warn);
        if (options.program().length == 0) {
            fail("no PROGRAM to run; " + USAGE);
        }
        var env = System.getenv();
        // An existing RELAYCLIENT (tcprules said so) is PROGRAM's already.
        var relay = env.containsKey("RELAYCLIENT") || !options.problems().isEmpty() ? null
                : RelayDecision.relayClient(options, env, Instant.now(), Relaylock::warn);
        var failure = Exec.replaceWith(options.program(), relay);
        fail("cannot run " + options.program()[0] + ": " + failure);
    }

    private static void warn(String problem) {
        System.err.println("relaylock: " + problem.replace('\n', ' ') + "; running without RELAYCLIENT");
    }

    private static void fail(String problem) {
        System.err.println("relaylock: " + problem);
        System.exit(111);
    }
}
