package org.poplock.readlog;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.readlog.blast.BlastPublisher;
import org.poplock.readlog.blast.BlastRadius;
import org.poplock.readlog.budget.Budget;
import org.poplock.readlog.cluster.ClusterMember;
import org.poplock.readlog.cluster.RedisCounts;
import org.poplock.readlog.listen.Listener;
import org.poplock.readlog.metrics.Metrics;
import org.poplock.readlog.metrics.MetricsServer;
import org.poplock.readlog.policy.LiveTable;
import org.poplock.readlog.policy.PolicyServer;
import org.poplock.readlog.socketmap.SocketmapAnswers;
import org.poplock.readlog.socketmap.SocketmapServer;
import org.poplock.readlog.state.GrantInput;
import org.poplock.readlog.state.Grants;
import org.poplock.readlog.state.Output;
import org.poplock.readlog.state.RelayState;
import org.poplock.readlog.tcprules.CdbOutput;

/**
 * Where the configuration is turned into the daemon's parts besides the sources of lines and
 * logins ({@link Inputs}): the inputs that change the grants once a round (the admin's spool, the
 * cluster's stream), the outputs that follow the grants (the tcprules CDB, the policy service's
 * live table, the cluster's outbox, metrics) and the listeners (the policy service, /metrics),
 * each with its counters. A new input, output or listener is one line here; the daemon's loop
 * knows none of them by name.
 */
final class Parts {

    private final List<GrantInput> inputs = new ArrayList<>();
    private final List<Output> outputs = new ArrayList<>();
    /** Started listeners, closed at a stop in the order they were started. */
    private final List<Listener> listeners = new ArrayList<>();
    /** What the listeners use and that holds connections of its own (the budgets' Redis), closed after them. */
    private final List<AutoCloseable> closing = new ArrayList<>();
    /** What the start-up line says beside the sources. */
    private final StringBuilder serving = new StringBuilder();

    private final Grants grants;
    /** What a login earns beyond its timeout, and which senders a grant relays. */
    private final BlastRadius blast;
    /** The policy service's budgets, whose usage the blast radius's file shows; null when they are off. */
    private final Budget budget;

    private Parts(Grants grants, BlastRadius blast, Budget budget) {
        this.grants = grants;
        this.blast = blast;
        this.budget = budget;
        if (budget != null) {
            closing.add(budget);
        }
    }

    /**
     * The spool, the tcprules CDB and the cluster (whose threads start here); IOException (one line)
     * when the spool cannot be created.
     */
    static Parts assemble(ReadlogConfig config, RelayState state, Clock clock, Supervisor supervisor, Metrics metrics, Consumer<String> log)
            throws IOException {
        var limits = config.policyService().budget();
        var budget = limits.on() && !config.policyService().addresses().isEmpty()
                ? new Budget(limits, config.cluster() == null ? null : new RedisCounts(config.cluster()), log) : null;
        var parts = new Parts(state.grants(), BlastRadius.guard(config.blast(), config.timeout(), state, metrics, log), budget);
        try {
            parts.input(new AdminCommands(new DatabaseLayout(config.db()).spool(), state, log));
        } catch (IOException e) {
            throw new IOException("cannot create the spool for showallowed's changes: " + e.getMessage(), e);
        }
        parts.output(new BlastPublisher(parts.blast, budget, new DatabaseLayout(config.db()).blast(), config.dbGroup(), log));
        if (config.tcpRules() != null) {
            var writer = config.tcpRules().writer(log, log);
            parts.output(new CdbOutput(writer, state.grants(), log));
            metrics.counter("poplock_tcprules_denied_total", "grants left out of the tcprules CDB because the admin's rules deny the address",
                    writer::deniedTotal);
        }
        if (config.cluster() != null) {
            // Stream entries and keys are refused beyond the longest grant this host could make itself.
            var longest = config.keepWhileConnected() && config.keepAtMost().compareTo(config.timeout()) > 0 ? config.keepAtMost() : config.timeout();
            var member = ClusterMember.join(config.cluster(), longest, state, clock, supervisor, log);
            parts.input(member);
            parts.output(member);
            parts.output(new Output() {
                @Override
                public void settled(Instant now) {
                    metrics.clusterLag(member.lagMillis());
                }
            });
            parts.serving.append(" and the cluster at ").append(config.cluster().where()).append(" as ").append(config.cluster().me());
        }
        return parts;
    }

    /** /metrics, the socketmap and the policy service, with their counters; IOException (one line) when one cannot listen. */
    void listen(ReadlogConfig config, RelayState state, Metrics metrics, Consumer<String> log) throws IOException {
        if (config.metrics() != null) {
            listeners.add(MetricsServer.start(config.metrics(), metrics, log));
        }
        var policy = config.policyService();
        var socketmap = config.socketmap();
        var table = policy.addresses().isEmpty() && socketmap.addresses().isEmpty() ? null : new LiveTable(state.grants());
        if (table != null) {
            // Updated before the publish: the policy and socketmap services answer from memory.
            output(new Output() {
                @Override
                public void settled(Instant now) {
                    table.update();
                }
            });
        }
        if (!socketmap.addresses().isEmpty()) {
            var server = SocketmapServer.start(socketmap, new SocketmapAnswers(table, socketmap.value(), System::currentTimeMillis), log);
            listeners.add(server);
            metrics.counter("poplock_socketmap_found_total", "socketmap lookups answered OK (a live grant)", server::found);
            metrics.counter("poplock_socketmap_notfound_total", "socketmap lookups answered NOTFOUND", server::notFound);
            metrics.counter("poplock_socketmap_refused_total", "socketmap clients closed for a malformed or stalled request", server::refused);
            serving.insert(0, ", socketmap lookups on " + socketmap.addresses());
        }
        if (!policy.addresses().isEmpty()) {
            if (budget != null) {
                metrics.counter("poplock_budget_recipients_total", "recipients of granted clients counted against the budgets", budget::counted);
                metrics.counter("poplock_budget_deferred_total", "recipients deferred (4.7.1) because a grant or user was over budget", budget::deferred);
            }
            var server = PolicyServer.start(table, budget, policy.action(), policy.idle(), policy.perClient(), policy.addresses(), policy.mode(),
                    policy.group(), log);
            server.senderCheck(blast);
            listeners.add(server);
            metrics.counter("poplock_policy_granted_total", "policy requests answered with the action (a live grant)", server::granted);
            metrics.counter("poplock_policy_dunno_total", "policy requests answered DUNNO", server::notGranted);
            serving.insert(0, ", answering policy requests on " + policy.addresses());
        }
    }

    List<GrantInput> inputs() {
        return inputs;
    }

    List<Output> outputs() {
        return outputs;
    }

    /** The first output's or listener's problem, or null. */
    String problem() {
        var output = outputs.stream().map(Output::problem).filter(Objects::nonNull).findFirst();
        return output.orElseGet(() -> listeners.stream().map(Listener::unhealthy).filter(Objects::nonNull).findFirst().orElse(null));
    }

    /** The settings SIGHUP read again that the parts take without a restart. */
    void reconfigure(ReadlogConfig fresh) {
        blast.reconfigure(fresh.blast());
    }

    /** The outputs' parts of the summary line. */
    String summary() {
        var out = new StringBuilder();
        outputs.stream().map(Output::summary).filter(Objects::nonNull).forEach(s -> out.append("; ").append(s));
        return out.toString();
    }

    /** What readlog serves beside its sources, for the start-up line. */
    String serving() {
        return serving.toString();
    }

    /** The listeners closed, then the inputs stopped (what they had read still applied). */
    void stop(Instant now) {
        listeners.forEach(Listener::close);
        listeners.clear();
        for (var part : closing) {
            try {
                part.close();
            } catch (Exception e) {
                // closing at a stop: nothing left to tell
            }
        }
        closing.clear();
        inputs.forEach(input -> input.stop(now));
    }

    private void input(GrantInput input) {
        inputs.add(input);
    }

    /** The one place an output is registered: told of the grants' changes by them, of each round by the daemon. */
    private void output(Output output) {
        outputs.add(output);
        grants.follow(output);
    }
}
