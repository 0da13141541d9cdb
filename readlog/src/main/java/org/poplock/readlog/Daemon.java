package org.poplock.readlog;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.poplock.common.address.Printable;
import org.poplock.common.config.Timeouts;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.readlog.authpolicy.AuthPolicyServer;
import org.poplock.readlog.budget.Budget;
import org.poplock.readlog.cluster.RedisCounts;
import org.poplock.readlog.cluster.ClusterMember;
import org.poplock.readlog.cluster.LocalChanges;
import org.poplock.readlog.metrics.Metrics;
import org.poplock.readlog.metrics.MetricsServer;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.parse.LoginParser;
import org.poplock.readlog.policy.LiveTable;
import org.poplock.readlog.policy.PolicyServer;
import org.poplock.readlog.source.LogFollower;
import org.poplock.readlog.source.LogPosition;
import org.poplock.readlog.source.LogSource;
import org.poplock.readlog.source.LoginSource;
import org.poplock.readlog.state.RelayState;
import org.poplock.readlog.tcprules.TcpRules;

/**
 * readlog's daemon loop: rounds of reading every source, recording logins, applying admin
 * changes, extending open sessions and sweeping expired entries; then publishing when anything
 * changed (first: relaylock waits on it) and committing the state at a bounded pace.
 */
final class Daemon implements FollowLoop.Sink {

    /** The state is committed at most this often: its fsyncs then cost the publish path nothing. */
    private static final long COMMIT_EVERY_NANOS = 250_000_000L;

    private ReadlogConfig config;
    private final RelayState state;
    private final Clock clock;
    private final Messages log;
    private final Signals signals;
    private final Reloader reloader;
    private final Publisher publisher;
    /** The tcprules CDB's writer, or null without --tcprules. */
    private final TcpRules tcpRules;
    private final AdminCommands admin;
    /** This host in the cluster, or null outside one. */
    private ClusterMember cluster;
    /** The live grants as the policy service reads them, and the service; null without --policy. */
    private LiveTable policyTable;
    private PolicyServer policyServer;
    /** The policy service's recipient budgets; null without. */
    private Budget budget;
    private final Metrics metrics = new Metrics();
    /** Forged logins (a journal entry from a sender no definition trusts) and lines that failed, rate-limited. */
    private final Troubles troubles;
    /** The threads readlog starts for its sources and the cluster. */
    private final Supervisor supervisor;
    private MetricsServer metricsServer;
    private FollowLoop loop;

    private long linesRead;
    private long loginsRecorded;
    /** Entries changed in this round. */
    private int changed;
    /** The last publish failed: publish again in the next round. */
    private boolean dirty;
    private long lastCommit;
    /** Lines were read (or entries changed) since the last commit: commit when due, even if the log has gone quiet. */
    private boolean uncommitted;
    private boolean writeFailing;
    private long nextSummary;

    Daemon(ReadlogConfig config, RelayState state, Clock clock, Messages log, Signals signals, Reloader reloader) throws IOException {
        this.config = config;
        this.state = state;
        this.clock = clock;
        this.log = log;
        this.signals = signals;
        this.reloader = reloader;
        this.troubles = new Troubles("", log::say);
        this.supervisor = new Supervisor(log::say);
        this.tcpRules = config.tcpRules() == null ? null : config.tcpRules().writer(log::say, log::say);
        this.publisher = new Publisher(config.db(), config.dbGroup(), state.grants(), tcpRules, log::say);
        if (config.cluster() != null) {
            // Stream entries and keys are refused beyond the longest grant this host could make itself.
            var longest = config.keepWhileConnected() && config.keepAtMost().compareTo(config.timeout()) > 0 ? config.keepAtMost() : config.timeout();
            this.cluster = ClusterMember.join(config.cluster(), longest, state, clock, supervisor, log::say);
        }
        try {
            this.admin = new AdminCommands(new DatabaseLayout(config.db()).spool(), cluster == null ? LocalChanges.NONE : cluster, log::say);
        } catch (IOException e) {
            closeCluster(); // its threads would go on sending for a readlog that never started
            throw new IOException("cannot create the spool for showallowed's changes: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeCluster();
            throw e;
        }
    }

    /** Runs until a signal, the end of --once, or the end of standard input; returns the exit status. */
    int run() {
        try {
            var saved = new FollowLoop.Saved() {
                @Override
                public List<LogPosition> positions(String log) {
                    return state.positions(log);
                }

                @Override
                public String cursor(String source) {
                    return state.cursor(source);
                }
            };
            loop = new FollowLoop(FollowLoop.open(config, saved, clock, supervisor, log::say), new LoginParser(config.definitions(), clock),
                    config.policy(), this, config.keepWhileConnected(), clock);
            startListeners();
        } catch (IOException e) {
            log.say(e.getMessage());
            stopListeners();
            if (loop != null) {
                loop.close();
            }
            if (cluster != null) {
                cluster.close();
            }
            return 111;
        }
        var policy = config.policyService();
        log.say("following " + Stream.concat(loop.sources().stream().map(LogSource::name),
                        loop.loginSources().stream().map(LoginSource::name)).toList()
                + (policyServer == null ? "" : ", answering policy requests on " + policy.addresses())
                + (cluster == null ? "" : " and the cluster at " + config.cluster().where() + " as " + config.cluster().me())
                + ", publishing " + config.db()
                + ", timeout " + Timeouts.format(config.timeout()));
        var now = clock.instant();
        state.sweep(now);
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
        stopListeners();
        if (cluster != null) {
            cluster.close();
            cluster.apply(clock.instant());
        }
        savePositions();
        publisher.publishUsers(state, clock.instant(), true);
        loop.close();
        log.say(config.once() ? "read to the end, published " + config.db() : "stopped; last publish " + publisher.lastPublish());
        return status;
    }

    /** /metrics and the policy service, with their counters; IOException (one line) when one cannot listen. */
    private void startListeners() throws IOException {
        if (config.metrics() != null) {
            metricsServer = MetricsServer.start(config.metrics(), metrics, log::say);
        }
        for (var source : loop.sources()) {
            metrics.droppedBy(source.name(), source::dropped);
        }
        for (var source : loop.loginSources()) {
            if (source instanceof AuthPolicyServer dovecot) {
                metrics.counter("poplock_dovecot_policy_reports_total", "authentication reports Dovecot posted", dovecot::reports);
                metrics.counter("poplock_dovecot_policy_refused_total", "requests refused (no secret, bad JSON, too large, too slow, too many connections)", dovecot::refused);
            }
        }
        if (tcpRules != null) {
            metrics.counter("poplock_tcprules_denied_total", "grants left out of the tcprules CDB because the admin's rules deny the address",
                    tcpRules::deniedTotal);
        }
        var policy = config.policyService();
        if (!policy.addresses().isEmpty()) {
            var limits = policy.budget();
            budget = limits.on() ? new Budget(limits, config.cluster() == null ? null : new RedisCounts(config.cluster()), log::say) : null;
            policyTable = new LiveTable(state.grants());
            policyServer = PolicyServer.start(policyTable, budget, policy.action(), policy.idle(), policy.perClient(), policy.addresses(), policy.mode(),
                    policy.group(), log::say);
            metrics.counter("poplock_policy_granted_total", "policy requests answered with the action (a live grant)", policyServer::granted);
            metrics.counter("poplock_policy_dunno_total", "policy requests answered DUNNO", policyServer::notGranted);
            if (budget != null) {
                metrics.counter("poplock_budget_recipients_total", "recipients of granted clients counted against the budgets", budget::counted);
                metrics.counter("poplock_budget_deferred_total", "recipients deferred (4.7.1) because a grant or user was over budget", budget::deferred);
            }
        }
    }

    /** Closes the listeners that were started (at a stop, or when another could not start). */
    private void stopListeners() {
        if (policyServer != null) {
            policyServer.close();
        }
        if (budget != null) {
            budget.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
    }

    /** Every source read, admin changes applied, sessions extended, expired entries swept; then publish, commit, report. */
    private void round() {
        changed = 0;
        long roundStart = System.nanoTime();
        int lines = loop.poll(metrics::linesRead);
        linesRead += lines;
        loginsRecorded += changed;
        var now = clock.instant();
        int adminChanges = admin.apply(state, now);
        changed += adminChanges;
        if (config.keepWhileConnected()) {
            changed += state.keepOpen(now, config.timeout(), config.keepAtMost(), cluster == null ? ip -> { } : cluster::granted);
        }
        if (cluster != null) {
            changed += cluster.apply(now);
        }
        var next = state.nextExpiry();
        boolean expired = next.isPresent() && !next.get().isAfter(now) && state.sweep(now) > 0;
        if (policyTable != null) {
            policyTable.update(); // even before the publish: the policy service answers from memory
        }
        // Publish first: relaylock waits on it; the state commit that follows only guards
        // against a crash, and a crash before it just makes readlog read those lines again.
        if (changed > 0 || expired || dirty) {
            dirty = !publisher.publish(state, now);
            metrics.published(!dirty, System.nanoTime() - roundStart);
        } else {
            publisher.writeCdb(state, now);
        }
        metrics.liveEntries(state.size());
        if (cluster != null) {
            metrics.clusterLag(cluster.lagMillis());
        }
        // An admin's change is shown by showallowed at once; a login's user name may lag a second.
        publisher.publishUsers(state, now, config.once() || signals.stopping() || adminChanges > 0);
        if (!dirty) {
            admin.published();
        }
        commitIfDue(lines > 0 || expired || changed > 0);
        reportStateFailure();
        summaryIfDue();
    }

    @Override
    public void login(Login login, Optional<String> refusal) {
        if (refusal.isPresent()) {
            metrics.refused();
            return;
        }
        if (state.record(login, config.timeout(), clock.instant())) {
            changed++;
            metrics.login(login.server());
            if (cluster != null) {
                cluster.granted(login.ip());
            }
        }
        if (config.keepWhileConnected() && login.session() != null) {
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
        uncommitted = true; // the position past it is saved soon, so a restart does not meet it again
        troubles.say("failed " + source, source + ": dropped " + where + ": " + why);
    }

    @Override
    public void logout(String session) {
        state.sessions().closed(session);
    }

    /**
     * Commits at most a few times a second: the writer thread's fsyncs then cost the publish path
     * nothing, and a crash costs only reading those lines again. A failed state (full disk) is
     * retried on a quiet log too: the state paces the retries.
     */
    private void commitIfDue(boolean anythingNew) {
        uncommitted |= anythingNew;
        boolean due = System.nanoTime() - lastCommit >= COMMIT_EVERY_NANOS || config.once() || signals.stopping();
        if ((uncommitted || state.writeFailure() != null) && due) {
            savePositions();
            uncommitted = !state.commit();
            if (!uncommitted) {
                metrics.committed();
            }
            lastCommit = System.nanoTime();
        }
    }

    /**
     * One line when the state cannot be written, one when it can again; /health says what keeps
     * readlog from its job: a publish or the state failing, or a log it may not read.
     */
    private void reportStateFailure() {
        var failure = state.writeFailure();
        var unreadable = loop.sources().stream().map(LogSource::problem).filter(Objects::nonNull).findFirst().orElse(null);
        metrics.health(dirty ? "cannot publish " + config.db() + " (see readlog's log)"
                : failure != null ? "cannot save state: " + failure
                : publisher.cdbFailure() != null ? "cannot write the tcprules CDB: " + publisher.cdbFailure()
                : unreadable != null ? unreadable : supervisor.problem());
        if (failure != null && !writeFailing) {
            log.say("cannot save state: " + failure + "; serving from memory, writing it anew every few seconds until there is room");
        } else if (failure == null && writeFailing) {
            log.say("state saved again");
        }
        writeFailing = failure != null;
    }

    private void summaryIfDue() {
        if (System.nanoTime() - nextSummary >= 0 || signals.stopping() || config.once()) {
            nextSummary = System.nanoTime() + config.summaryEvery().toNanos();
            long dropped = loop.sources().stream().mapToLong(LogSource::dropped).sum();
            log.say("summary: " + linesRead + " lines read, " + loginsRecorded + " logins recorded, " + dropped + " lines dropped, "
                    + state.size() + " live entries, last publish " + publisher.lastPublish()
                    + (cluster == null ? "" : "; " + cluster.summary()));
        }
    }

    /** How far each log has been read goes into the state with the entries those lines made. */
    private void savePositions() {
        for (var source : loop.sources()) {
            var p = source.positions();
            if (!p.isEmpty()) {
                state.savePositions(source.name(), p);
            }
            var cursor = source.cursor();
            if (cursor != null) {
                state.saveCursor(source.name(), cursor);
            }
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
        savePositions();
        state.commit();
        var fresh = result.config();
        var reopened = new ArrayList<LogSource>();
        for (var source : loop.sources()) {
            if (source instanceof LogFollower) {
                source.close();
            } else {
                reopened.add(source);
            }
        }
        for (var path : fresh.logs()) {
            if (!path.toString().equals("-")) {
                reopened.add(FollowLoop.follower(path, fresh, state::positions, log::say));
            }
        }
        loop.replace(new LoginParser(fresh.definitions(), clock), fresh.policy(), reopened);
        var restart = fresh.needRestart(config);
        config = fresh.keeping(config);
        dirty = true;
        log.say("reloaded " + fresh.configPath() + "; " + fresh.definitions().size() + " definitions, timeout "
                + Timeouts.format(fresh.timeout()) + (restart.isEmpty() ? "" : "; a restart is needed to change " + String.join(", ", restart)));
    }

    private void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
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
