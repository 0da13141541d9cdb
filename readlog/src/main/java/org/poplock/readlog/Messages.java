package org.poplock.readlog;

import java.io.PrintStream;

/** readlog's one-line messages on stderr, for multilog or journald. */
final class Messages {

    private final PrintStream err;

    Messages(PrintStream err) {
        this.err = err;
    }

    void say(String message) {
        err.println("readlog: " + message.replace('\n', ' '));
    }
}
