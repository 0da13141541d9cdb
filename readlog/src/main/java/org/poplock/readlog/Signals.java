package org.poplock.readlog;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT ask the loop to finish its round, publish, close the state and exit 0 (a
 * shutdown hook would exit 143); SIGHUP asks it to reload. The handlers only set flags. A signal
 * ignored when readlog started (nohup ignores SIGHUP) stays ignored: the JVM installs no handler
 * for it, so readlog says so rather than let a reload go unanswered.
 */
final class Signals {

    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean reload = new AtomicBoolean();

    private Signals() {
    }

    static Signals install(Consumer<String> log) {
        var signals = new Signals();
        // A shell ignores SIGINT in what it starts in the background: only SIGTERM's absence is news.
        for (var name : List.of("TERM", "INT")) {
            if (Signal.handle(new Signal(name), sig -> signals.stopping.set(true)) == SignalHandler.SIG_IGN && name.equals("TERM")) {
                log.accept("SIGTERM is ignored in this process: readlog cannot be stopped cleanly; start it from a supervisor that does not ignore it");
            }
        }
        if (Signal.handle(new Signal("HUP"), sig -> signals.reload.set(true)) == SignalHandler.SIG_IGN) {
            log.accept("SIGHUP is ignored in this process (started under nohup?): readlog cannot reload; restart it to apply a changed configuration");
        }
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
