package org.poplock.readlog;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.parse.LoginParser;
import org.poplock.readlog.source.LogFollower;
import org.poplock.readlog.source.LogPosition;
import org.poplock.readlog.source.LogSource;
import org.poplock.readlog.source.PipeReader;

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

        /** A session's end, for --keep-while-connected. */
        default void logout(String session) {
        }
    }

    private final Sink sink;
    private final boolean logouts;
    private LoginParser parser;
    private LoginPolicy policy;
    private List<LogSource> sources;

    FollowLoop(List<LogSource> sources, LoginParser parser, LoginPolicy policy, Sink sink, boolean logouts) {
        this.sources = sources;
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
    int poll(java.util.function.ObjIntConsumer<String> perSource) {
        int lines = 0;
        for (var source : sources) {
            int n = source.poll(this::onLine);
            if (n > 0) {
                perSource.accept(source.name(), n);
            }
            lines += n;
        }
        return lines;
    }

    private void onLine(String line) {
        var login = parser.parse(line);
        if (login.isPresent()) {
            sink.login(login.get(), policy.refusal(login.get()));
        } else if (logouts) {
            parser.logout(line).ifPresent(sink::logout);
        }
    }

    /** A source that ended for good (standard input at its end), if any. */
    Optional<LogSource> ended() {
        return sources.stream().filter(LogSource::ended).findFirst();
    }

    List<LogSource> sources() {
        return sources;
    }

    /** After a reload: another parser and policy, the log files reopened; FIFOs and standard input stay. */
    void replace(LoginParser newParser, LoginPolicy newPolicy, List<LogSource> newSources) {
        parser = newParser;
        policy = newPolicy;
        sources = newSources;
    }

    void close() {
        sources.forEach(LogSource::close);
    }

    /**
     * The files to follow (resuming where {@code saved} says), standard input for {@code -}, and
     * the FIFOs; throws IOException when a FIFO cannot be opened.
     */
    static List<LogSource> open(ReadlogConfig config, java.util.function.Function<String, List<LogPosition>> saved,
            Consumer<String> warnings) throws java.io.IOException {
        var out = new ArrayList<LogSource>();
        for (var path : config.logs()) {
            out.add(path.toString().equals("-") ? PipeReader.stdin(System.in, warnings) : follower(path, config, saved, warnings));
        }
        for (var fifo : config.fifos()) {
            try {
                out.add(PipeReader.fifo(fifo, config.fifoQueue(), warnings));
            } catch (java.io.IOException e) {
                out.forEach(LogSource::close);
                throw new java.io.IOException("cannot read FIFO " + fifo + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    static LogFollower follower(Path path, ReadlogConfig config, java.util.function.Function<String, List<LogPosition>> saved,
            Consumer<String> warnings) {
        var absolute = path.toAbsolutePath();
        return new LogFollower(absolute, saved.apply(absolute.toString()), config.rotateWait(), warnings);
    }
}
