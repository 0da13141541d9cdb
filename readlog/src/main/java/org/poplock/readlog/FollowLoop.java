package org.poplock.readlog;

import java.time.Clock;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.ObjIntConsumer;
import org.poplock.common.address.Printable;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.parse.LoginParser;
import org.poplock.readlog.source.Input;

/**
 * The step every line takes: each source polled, each line parsed into a {@link Login}, the login
 * checked against the policy and handed to the {@link Sink} (the daemon's state, or the dry run's
 * printout); a line that is no login may end a session.
 */
final class FollowLoop {

    /** Where logins go. */
    interface Sink {
        /** A login the parser recognised; {@code refusal} says why the policy will not let it relay. */
        void login(Login login, Optional<String> refusal);

        /** A login in a line whose sender the source cannot vouch for (a forged journal entry): never recorded. */
        default void untrusted(Login login, String why) {
            login(login, Optional.of(why));
        }

        /** A login that grants nothing now ({@link LoginPolicy#staleness}): too old, or of unknown age. */
        default void stale(Login login, String why) {
            login(login, Optional.of(why));
        }

        /** A session's end, for --keep-while-connected. */
        default void logout(String session) {
        }

        /**
         * A line (entry, report) of {@code source} whose handling failed: dropped, and the source
         * read on past it. {@code where} says which (the line, quoted; a journal entry's cursor).
         */
        default void failed(String source, String where, String why) {
        }
    }

    private final Sink sink;
    private final boolean logouts;
    private final Clock clock;
    /** Lines each source has lost so far: a loss drops the two-line logins waiting to be joined. */
    private final Map<Input, Long> lost = new IdentityHashMap<>();
    private LoginParser parser;
    private LoginPolicy policy;
    private List<Input> sources;

    FollowLoop(Inputs inputs, LoginParser parser, LoginPolicy policy, Sink sink, boolean logouts, Clock clock) {
        this.clock = clock;
        this.sources = inputs.all();
        this.parser = parser;
        this.policy = policy;
        this.sink = sink;
        this.logouts = logouts;
    }

    /** One pass over every source; returns how many lines were read. */
    int poll() {
        return poll((source, n) -> { });
    }

    /** Reads every source once; tells {@code perSource} how many lines each gave. */
    int poll(ObjIntConsumer<String> perSource) {
        int lines = 0;
        for (var source : sources) {
            long dropped = source.dropped();
            if (dropped != lost.getOrDefault(source, 0L)) {
                lost.put(source, dropped);
                parser.forgetPendingJoins();
            }
            int n = pollContained(source.name(), () -> source.poll(events(source.name())));
            if (n > 0) {
                perSource.accept(source.name(), n);
            }
            lines += n;
        }
        return lines;
    }

    private Input.Events events(String source) {
        return new Input.Events() {
            @Override
            public void accept(String line) {
                contained(source, line, () -> onLine(line, false));
            }

            @Override
            public void catchingUp(String line) {
                contained(source, line, () -> onLine(line, true));
            }

            @Override
            public void untrusted(String line, String why) {
                contained(source, line, () -> parser.parse(line).ifPresent(login -> sink.untrusted(login, why)));
            }

            @Override
            public void login(Login login) {
                contained(source, "a login of " + login.ip(), () -> onLogin(login, false));
            }

            @Override
            public void damaged(String where, String why) {
                sink.failed(source, where, why);
            }
        };
    }

    /**
     * Handles one line (or report): whatever its handling throws costs that line only, never the
     * loop. The source has already counted the line as read, so its position moves past it and a
     * restart does not meet it again. A stack overflow is a line's too: a hostile line can make a
     * definition's expression recurse deep.
     */
    private void contained(String source, String line, Runnable handling) {
        try {
            handling.run();
        } catch (RuntimeException | StackOverflowError e) {
            sink.failed(source, "line " + Printable.of(line), Supervisor.reason(e));
        }
    }

    /** A source's poll: a failure of the source itself (not of a line) costs this poll of it, and is said as the source's. */
    private int pollContained(String source, IntSupplier poll) {
        try {
            return poll.getAsInt();
        } catch (RuntimeException | StackOverflowError e) {
            sink.failed(source, "reading it", Supervisor.reason(e));
            return 0;
        }
    }

    private void onLine(String line, boolean catchingUp) {
        var login = parser.parse(line);
        if (login.isPresent()) {
            onLogin(login.get(), catchingUp);
        } else if (logouts) {
            parser.logout(line).ifPresent(sink::logout);
        }
    }

    private void onLogin(Login login, boolean catchingUp) {
        var refusal = policy.refusal(login);
        if (refusal.isPresent()) {
            sink.login(login, refusal);
            return;
        }
        var stale = policy.staleness(login, clock.instant(), catchingUp);
        if (stale.isPresent()) {
            sink.stale(login, stale.get());
        } else {
            sink.login(login, refusal);
        }
    }

    /** A source that ended for good (standard input at its end), if any. */
    Optional<Input> ended() {
        return sources.stream().filter(Input::ended).findFirst();
    }

    List<Input> sources() {
        return sources;
    }

    /** After a reload: another parser and policy, the log files reopened; FIFOs and standard input stay. */
    void replace(LoginParser newParser, LoginPolicy newPolicy, List<Input> newSources) {
        parser = newParser;
        policy = newPolicy;
        sources = newSources;
    }

    void close() {
        sources.forEach(Input::close);
    }
}
