package org.poplock.readlog;

import java.io.PrintStream;
import org.poplock.common.address.Printable;

/**
 * readlog's one-line messages on stderr, for multilog or journald. Attacker text in a message is
 * quoted by {@link Printable#of} where it is put in; whatever unprintable character got past that
 * is escaped here, so a message stays one line that no input can forge or colour.
 */
final class Messages {

    private final PrintStream err;

    Messages(PrintStream err) {
        this.err = err;
    }

    void say(String message) {
        err.println("readlog: " + Printable.line(message));
    }
}
