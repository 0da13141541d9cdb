package org.poplock.readlog.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;

/**
 * What readlog counts, in the Prometheus text format: written by the daemon's thread, read by the
 * HTTP thread ({@link MetricsServer}); every value is atomic, nothing here takes a lock a round
 * could wait on.
 */
public final class Metrics {

    /** Upper bounds (seconds) of the publish-latency histogram's buckets. */
    static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

    private final Map<String, AtomicLong> linesRead = new ConcurrentHashMap<>();
    private final Map<String, Supplier<Long>> linesDropped = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> linesFailed = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> logins = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong untrusted = new AtomicLong();
    private final AtomicLong stale = new AtomicLong();
    /** Counters a listener keeps itself (the policy service, the Dovecot reports), by name: help text and value. */
    private final Map<String, Map.Entry<String, Supplier<Long>>> counters = new ConcurrentSkipListMap<>();
    private final AtomicLong liveEntries = new AtomicLong();
    private final AtomicLong publishes = new AtomicLong();
    private final AtomicLong publishFailures = new AtomicLong();
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong clusterLagMillis = new AtomicLong(-1);
    private final AtomicLongArray latencyBuckets = new AtomicLongArray(BUCKETS.length + 1);
    private final AtomicLong latencyCount = new AtomicLong();
    private final AtomicLong latencySumMicros = new AtomicLong();
    private volatile String unhealthy = "not published yet";

    public void linesRead(String source, long n) {
        linesRead.computeIfAbsent(source, s -> new AtomicLong()).addAndGet(n);
    }

    public void droppedBy(String source, Supplier<Long> dropped) {
        linesDropped.put(source, dropped);
    }

    /** A line (entry, report) of {@code source} whose handling failed: dropped. */
    public void lineFailed(String source) {
        linesFailed.computeIfAbsent(source, s -> new AtomicLong()).incrementAndGet();
    }

    public void login(String definition) {
        logins.computeIfAbsent(definition, d -> new AtomicLong()).incrementAndGet();
    }

    public void refused() {
        refused.incrementAndGet();
    }

    /** A login that grants nothing now: over by its own time, or of unknown time in a log caught up on. */
    public void stale() {
        stale.incrementAndGet();
    }

    /** A login a journal entry claimed, from a sender no definition trusts (a forged line). */
    public void untrusted() {
        untrusted.incrementAndGet();
    }

    /** A counter {@code value} keeps, shown as {@code name}. */
    public void counter(String name, String help, Supplier<Long> value) {
        counters.put(name, Map.entry(help, value));
    }

    public void liveEntries(long n) {
        liveEntries.set(n);
    }

    /** A publish and how long its changes waited, from the start of the round that read them. */
    public void published(boolean ok, long latencyNanos) {
        if (!ok) {
            publishFailures.incrementAndGet();
            return;
        }
        publishes.incrementAndGet();
        double seconds = latencyNanos / 1e9;
        int i = 0;
        while (i < BUCKETS.length && seconds > BUCKETS[i]) {
            i++;
        }
        latencyBuckets.incrementAndGet(i);
        latencyCount.incrementAndGet();
        latencySumMicros.addAndGet(latencyNanos / 1000);
    }

    public void committed() {
        commits.incrementAndGet();
    }

    /** How far behind the cluster's stream the last change applied was. */
    public void clusterLag(long millis) {
        clusterLagMillis.set(millis);
    }

    /** Why readlog cannot do its job now (a publish failing, the state not writable), or null when it can. */
    public void health(String problem) {
        unhealthy = problem;
    }

    public String unhealthy() {
        return unhealthy;
    }

    /** The whole exposition, in Prometheus's text format 0.0.4. */
    public String text() {
        var sb = new StringBuilder(2048);
        family(sb, "poplock_lines_read_total", "counter", "log lines read, per source");
        linesRead.forEach((source, n) -> sample(sb, "poplock_lines_read_total", "source", source, n.get()));
        family(sb, "poplock_lines_dropped_total", "counter", "lines a FIFO's queue dropped, per source");
        linesDropped.forEach((source, n) -> sample(sb, "poplock_lines_dropped_total", "source", source, n.get()));
        family(sb, "poplock_lines_failed_total", "counter", "lines (journal entries, reports) whose handling failed: dropped, per source");
        linesFailed.forEach((source, n) -> sample(sb, "poplock_lines_failed_total", "source", source, n.get()));
        family(sb, "poplock_logins_total", "counter", "logins recorded, per server definition");
        logins.forEach((definition, n) -> sample(sb, "poplock_logins_total", "definition", definition, n.get()));
        simple(sb, "poplock_logins_refused_total", "counter", "logins refused by --never-relay or --deny-user", refused.get());
        simple(sb, "poplock_logins_stale_total", "counter",
                "logins read that grant nothing: their grant had ended by their own time, or their line has no time and was caught up on",
                stale.get());
        simple(sb, "poplock_logins_untrusted_total", "counter",
                "logins in journal entries from a sender the definition does not trust (forged: not recorded)", untrusted.get());
        counters.forEach((name, c) -> simple(sb, name, "counter", c.getKey(), c.getValue().get()));
        simple(sb, "poplock_live_entries", "gauge", "entries that may relay", liveEntries.get());
        simple(sb, "poplock_publishes_total", "counter", "publishes of the database", publishes.get());
        simple(sb, "poplock_publish_failures_total", "counter", "publishes that failed (full disk, directory gone)", publishFailures.get());
        simple(sb, "poplock_state_commits_total", "counter", "state snapshots handed to the writer", commits.get());
        if (clusterLagMillis.get() >= 0) {
            simple(sb, "poplock_cluster_lag_seconds", "gauge", "age of the last cluster change applied", clusterLagMillis.get() / 1000.0);
        }
        family(sb, "poplock_publish_latency_seconds", "histogram", "from the round that read a change to its publish");
        long cumulative = 0;
        for (int i = 0; i <= BUCKETS.length; i++) {
            cumulative += latencyBuckets.get(i);
            sb.append("poplock_publish_latency_seconds_bucket{le=\"").append(i < BUCKETS.length ? Double.toString(BUCKETS[i]) : "+Inf")
                    .append("\"} ").append(cumulative).append('\n');
        }
        sb.append("poplock_publish_latency_seconds_sum ").append(latencySumMicros.get() / 1e6).append('\n');
        sb.append("poplock_publish_latency_seconds_count ").append(latencyCount.get()).append('\n');
        simple(sb, "poplock_up", "gauge", "1 while readlog publishes and reads every log, 0 while it cannot (/health says why)", unhealthy == null ? 1 : 0);
        return sb.toString();
    }

    private static void family(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void simple(StringBuilder sb, String name, String type, String help, Number value) {
        family(sb, name, type, help);
        sb.append(name).append(' ').append(value).append('\n');
    }

    private static void sample(StringBuilder sb, String name, String label, String value, long n) {
        sb.append(name).append('{').append(label).append("=\"").append(value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
                .append("\"} ").append(n).append('\n');
    }
}
