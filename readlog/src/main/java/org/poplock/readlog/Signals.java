package org.poplock.readlog;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGTERM and SIGINT ask the loop to finish its round, publish, close the state and exit 0 (a
 * shutdown hook would exit 143); SIGHUP asks it to reload. The handlers only set flags.
 */
final class Signals {

    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean reload = new AtomicBoolean();

    private Signals() {
    }

    static Signals install() {
        var signals = new Signals();
        for (var name : List.of("TERM", "INT")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> signals.stopping.set(true));
        }
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> signals.reload.set(true));
        return signals;
    }

    boolean stopping() {
        return stopping.get();
    }

    /** Whether a reload was asked for since the last call. */
    boolean takeReload() {
        return reload.getAndSet(false);
    }
}
