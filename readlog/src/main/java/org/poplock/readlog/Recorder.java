package org.poplock.readlog;

import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;
import org.poplock.common.address.Printable;
import org.poplock.readlog.metrics.Metrics;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.state.RelayState;

/**
 * The daemon's end of the {@link FollowLoop}: each login the policy lets relay recorded in the
 * grants (which tell the outputs), sessions opened and closed for --keep-while-connected, the
 * rest counted; forged logins and failed lines said, rate-limited.
 */
final class Recorder implements FollowLoop.Sink {

    private final RelayState state;
    private final Supplier<ReadlogConfig> config;
    private final Clock clock;
    private final Metrics metrics;
    private final Troubles troubles;
    /** Entries changed since the last {@link #takeChanged}. */
    private int changed;
    /** A line failed since the last {@link #takeFailed}: its position is to be saved soon, so a restart does not meet it again. */
    private boolean failed;

    Recorder(RelayState state, Supplier<ReadlogConfig> config, Clock clock, Metrics metrics, Messages log) {
        this.state = state;
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        this.troubles = new Troubles("", log::say);
    }

    @Override
    public void login(Login login, Optional<String> refusal) {
        if (refusal.isPresent()) {
            metrics.refused();
            return;
        }
        var c = config.get();
        if (state.record(login, c.timeout(), clock.instant())) {
            changed++;
            metrics.login(login.server());
        }
        if (c.keepWhileConnected() && login.session() != null) {
            state.sessions().opened(login.session(), login.ip(), login.time());
        }
    }

    @Override
    public void stale(Login login, String why) {
        metrics.stale();
    }

    @Override
    public void untrusted(Login login, String why) {
        metrics.untrusted();
        troubles.say("forged", "not recorded: " + login.ip() + " " + Printable.word(login.user()) + ": " + why);
    }

    @Override
    public void failed(String source, String where, String why) {
        metrics.lineFailed(source);
        failed = true;
        troubles.say("failed " + source, source + ": dropped " + where + ": " + why);
    }

    @Override
    public void logout(String session) {
        state.sessions().closed(session);
    }

    /** The entries logins changed since the last call. */
    int takeChanged() {
        int n = changed;
        changed = 0;
        return n;
    }

    /** Whether a line failed since the last call. */
    boolean takeFailed() {
        boolean f = failed;
        failed = false;
        return f;
    }
}
