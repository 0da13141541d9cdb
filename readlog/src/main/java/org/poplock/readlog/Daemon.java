package org.poplock.readlog;

import java.io.IOException;
import java.time.Clock;
import java.util.Objects;
import org.poplock.common.config.Timeouts;
import org.poplock.readlog.metrics.Metrics;
import org.poplock.readlog.parse.LoginParser;
import org.poplock.readlog.source.Input;
import org.poplock.readlog.state.RelayState;

/**
 * readlog's daemon loop: rounds of reading every source, recording logins, applying what the
 * other inputs bring, extending open sessions and sweeping expired entries; then publishing when
 * anything changed (first: relaylock waits on it), telling the outputs, and committing the state
 * at a bounded pace. What the inputs and outputs are is {@link Inputs}' and {@link Parts}' business.
 */
final class Daemon {

    private ReadlogConfig config;
    private final RelayState state;
    private final Clock clock;
    private final Messages log;
    private final Signals signals;
    private final Reloader reloader;
    private final Metrics metrics = new Metrics();
    /** The threads readlog starts for its sources and the cluster. */
    private final Supervisor supervisor;
    private final Publisher publisher;
    private final Parts parts;
    private final Recorder recorder;
    private final Checkpoints checkpoints;
    private Inputs inputs;
    private FollowLoop loop;

    private long linesRead;
    private long loginsRecorded;
    /** The last publish failed: publish again in the next round. */
    private boolean dirty;
    private long nextSummary;

    Daemon(ReadlogConfig config, RelayState state, Clock clock, Messages log, Signals signals, Reloader reloader) throws IOException {
        this.config = config;
        this.state = state;
        this.clock = clock;
        this.log = log;
        this.signals = signals;
        this.reloader = reloader;
        this.supervisor = new Supervisor(log::say);
        this.publisher = new Publisher(config.db(), config.dbGroup(), state.grants(), log::say);
        this.recorder = new Recorder(state, () -> this.config, clock, metrics, log);
        this.checkpoints = new Checkpoints(state, metrics, log);
        this.parts = Parts.assemble(config, state, clock, supervisor, metrics, log::say);
    }

    /** Runs until a signal, the end of --once, or the end of standard input; returns the exit status. */
    int run() {
        try {
            inputs = Inputs.open(config, new Inputs.Saved(state::positions, state::cursor), clock, supervisor, metrics, log::say);
            loop = new FollowLoop(inputs, new LoginParser(config.definitions(), clock), config.policy(), recorder, config.keepWhileConnected(), clock);
            parts.listen(config, state, metrics, log::say);
        } catch (IOException e) {
            log.say(e.getMessage());
            parts.stop(clock.instant());
            if (loop != null) {
                loop.close();
            }
            return 111;
        }
        log.say("following " + loop.sources().stream().map(Input::name).toList()
                + parts.serving() + ", publishing " + config.db() + ", timeout " + Timeouts.format(config.timeout()));
        state.sweep(clock.instant());
        state.commit();
        // The first round publishes whatever it reads: a published database then means that readlog
        // has read what its logs held at the start (relaylock reads the last one meanwhile).
        dirty = true;
        nextSummary = System.nanoTime() + config.summaryEvery().toNanos();
        int status = 0;
        while (true) {
            round();
            var ended = loop.ended();
            if (ended.isPresent()) {
                log.say(ended.get().name().equals("-") ? "standard input ended; stopping" : ended.get().name() + " ended; stopping");
                status = 1;
                break;
            }
            if (config.once() || signals.stopping() || !pause(config.pollMillis())) {
                break;
            }
            if (signals.takeReload()) {
                reload();
            }
        }
        parts.stop(clock.instant());
        checkpoints.savePositions(loop.sources());
        publisher.publishUsers(state, clock.instant(), true);
        loop.close();
        log.say(config.once() ? "read to the end, published " + config.db() : "stopped; last publish " + publisher.lastPublish());
        return status;
    }

    /** Every source read, the other inputs applied, sessions extended, expired entries swept; then publish, tell the outputs, commit, report. */
    private void round() {
        long roundStart = System.nanoTime();
        int lines = loop.poll(metrics::linesRead);
        linesRead += lines;
        int changed = recorder.takeChanged();
        loginsRecorded += changed;
        var now = clock.instant();
        boolean atOnce = config.once() || signals.stopping();
        for (var input : parts.inputs()) {
            int n = input.apply(now);
            changed += n;
            atOnce |= n > 0 && input.shownAtOnce();
        }
        if (state.settleFlags(now)) {
            changed++; // users flagged this round: their grants end, in one pass however many
        }
        if (config.keepWhileConnected()) {
            changed += state.keepOpen(now, config.timeout(), config.keepAtMost());
        }
        var next = state.nextExpiry();
        boolean expired = next.isPresent() && !next.get().isAfter(now) && state.sweep(now) > 0;
        parts.outputs().forEach(output -> output.settled(now));
        // Publish first: relaylock waits on it; the state commit that follows only guards
        // against a crash, and a crash before it just makes readlog read those lines again.
        boolean due = changed > 0 || expired || dirty;
        if (due) {
            dirty = !publisher.publish(state, now);
            metrics.published(!dirty, System.nanoTime() - roundStart);
        }
        parts.outputs().forEach(output -> output.published(now, due));
        metrics.liveEntries(state.size());
        // An admin's change is shown by showallowed at once; a login's user name may lag a second.
        publisher.publishUsers(state, now, atOnce);
        if (!dirty) {
            parts.inputs().forEach(input -> input.published());
        }
        checkpoints.commitIfDue(loop.sources(), lines > 0 || expired || changed > 0 || recorder.takeFailed(), config.once() || signals.stopping());
        reportHealth();
        summaryIfDue();
    }

    /** /health says what keeps readlog from its job: a publish or the state failing, an output, or a log it may not read. */
    private void reportHealth() {
        var failure = checkpoints.failure();
        var unreadable = loop.sources().stream().map(Input::problem).filter(Objects::nonNull).findFirst().orElse(null);
        var output = parts.problem();
        metrics.health(dirty ? "cannot publish " + config.db() + " (see readlog's log)"
                : failure != null ? "cannot save state: " + failure
                : output != null ? output
                : unreadable != null ? unreadable : supervisor.problem());
    }

    private void summaryIfDue() {
        if (System.nanoTime() - nextSummary >= 0 || signals.stopping() || config.once()) {
            nextSummary = System.nanoTime() + config.summaryEvery().toNanos();
            long dropped = loop.sources().stream().mapToLong(Input::dropped).sum();
            log.say("summary: " + linesRead + " lines read, " + loginsRecorded + " logins recorded, " + dropped + " lines dropped, "
                    + state.size() + " live entries, last publish " + publisher.lastPublish() + parts.summary());
        }
    }

    /**
     * SIGHUP: the configuration file read again and the log files reopened where they stand (a
     * FIFO and standard input stay as they are). A bad configuration keeps the running one; a
     * setting only a restart can change is named.
     */
    private void reload() {
        var result = reloader.reload(config);
        if (result.error() != null) {
            log.say("reload failed, keeping the running configuration: " + result.error());
            return;
        }
        checkpoints.savePositions(loop.sources());
        state.commit();
        var fresh = result.config();
        loop.replace(new LoginParser(fresh.definitions(), clock), fresh.policy(), inputs.reopenFiles(fresh, new Inputs.Saved(state::positions, state::cursor), log::say));
        var restart = fresh.needRestart(config);
        config = fresh.keeping(config);
        parts.reconfigure(config);
        dirty = true;
        log.say("reloaded " + fresh.configPath() + "; " + fresh.definitions().size() + " definitions, timeout "
                + Timeouts.format(fresh.timeout()) + (restart.isEmpty() ? "" : "; a restart is needed to change " + String.join(", ", restart)));
    }

    static boolean pause(int millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
