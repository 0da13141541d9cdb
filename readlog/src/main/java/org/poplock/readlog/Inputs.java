package org.poplock.readlog;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import jnr.posix.POSIXFactory;
import org.poplock.readlog.authpolicy.AuthPolicyServer;
import org.poplock.readlog.journal.JournalReader;
import org.poplock.readlog.journal.JournalTrust;
import org.poplock.readlog.metrics.Metrics;
import org.poplock.readlog.source.LogFollower;
import org.poplock.readlog.source.LogPosition;
import org.poplock.readlog.source.Input;
import org.poplock.readlog.source.PipeReader;

/**
 * Where the configuration is turned into the inputs that bring lines and logins to the
 * {@link FollowLoop}: the followed files, standard input, the FIFOs, the journal, Dovecot's reports.
 * A new input is one line in {@link #open}. The daemon and the dry run open the same.
 */
final class Inputs {

    /** Where a restart resumes: each log file's positions, the journal's cursor. */
    record Saved(Function<String, List<LogPosition>> positions, UnaryOperator<String> cursor) {
        /** A dry run resumes nowhere. */
        static final Saved NOTHING = new Saved(log -> List.of(), source -> null);
    }

    private final List<Input> lines;
    /** Inputs of logins already parsed (Dovecot's reports): polled after the lines, and left as they are by a reload. */
    private final List<Input> logins;
    /** The followed files among the lines: a reload reopens these, and leaves the streams as they are. */
    private final Set<Input> files = Collections.newSetFromMap(new IdentityHashMap<>());

    private Inputs(List<Input> lines, List<Input> logins) {
        this.lines = lines;
        this.logins = logins;
    }

    /** Every input, in the order the loop polls them: the lines, then the logins already parsed. */
    List<Input> all() {
        var all = new ArrayList<Input>(lines);
        all.addAll(logins);
        return all;
    }

    /**
     * The files to follow (resuming where {@code saved} says), standard input for {@code -}, the
     * FIFOs, the journal and Dovecot's reports, their threads under {@code supervisor}, their counters in {@code metrics}; throws
     * IOException when a FIFO cannot be opened or a listener cannot listen.
     */
    static Inputs open(ReadlogConfig config, Saved saved, Clock clock, Supervisor supervisor, Metrics metrics, Consumer<String> warnings)
            throws IOException {
        var inputs = new Inputs(new ArrayList<>(), new ArrayList<>());
        for (var path : config.logs()) {
            if (path.toString().equals("-")) {
                inputs.lines.add(PipeReader.stdin(System.in, supervisor, warnings));
            } else {
                inputs.addFile(follower(path, config, saved, warnings));
            }
        }
        try {
            for (var fifo : config.fifos()) {
                try {
                    inputs.lines.add(PipeReader.fifo(fifo, config.fifoQueue(), supervisor, warnings));
                } catch (IOException e) {
                    throw new IOException("cannot read FIFO " + fifo + ": " + e.getMessage(), e);
                }
            }
            if (config.dovecotPolicy() != null) {
                var dovecot = AuthPolicyServer.start(config.dovecotPolicy(), clock, warnings);
                inputs.logins.add(dovecot);
                metrics.counter("poplock_dovecot_policy_reports_total", "authentication reports Dovecot posted", dovecot::reports);
                metrics.counter("poplock_dovecot_policy_refused_total", "requests refused (no secret, bad JSON, too large, too slow, too many connections)",
                        dovecot::refused);
            }
        } catch (IOException e) {
            inputs.lines.forEach(Input::close);
            throw e;
        }
        if (config.journal() != null) {
            var trust = new JournalTrust(config.definitions(), Inputs::uid);
            inputs.lines.add(new JournalReader(config.journal(), saved.cursor().apply("journal"), clock.instant().minus(config.timeout()), !config.once(),
                    trust, supervisor, warnings));
        }
        for (var source : inputs.lines) {
            metrics.droppedBy(source.name(), source::dropped);
        }
        return inputs;
    }

    /**
     * SIGHUP: the followed files closed and opened again as {@code fresh} names them, resuming where
     * {@code saved} says; FIFOs, standard input, the journal and Dovecot's reports stay. Returns the inputs to poll.
     */
    List<Input> reopenFiles(ReadlogConfig fresh, Saved saved, Consumer<String> warnings) {
        files.forEach(Input::close);
        lines.removeIf(files::contains);
        files.clear();
        for (var path : fresh.logs()) {
            if (!path.toString().equals("-")) {
                addFile(follower(path, fresh, saved, warnings));
            }
        }
        return all();
    }

    void close() {
        lines.forEach(Input::close);
        logins.forEach(Input::close);
    }

    private void addFile(Input file) {
        lines.add(file);
        files.add(file);
    }

    private static LogFollower follower(Path path, ReadlogConfig config, Saved saved, Consumer<String> warnings) {
        var absolute = path.toAbsolutePath();
        return new LogFollower(absolute, saved.positions().apply(absolute.toString()), config.rotateWait(), warnings);
    }

    /** A user's number from the system's user database (NSS), or -1. */
    private static int uid(String user) {
        try {
            var pw = POSIXFactory.getNativePOSIX().getpwnam(user);
            return pw == null ? -1 : (int) pw.getUID();
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }
}
