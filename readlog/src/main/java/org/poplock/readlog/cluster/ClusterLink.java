package org.poplock.readlog.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.poplock.common.retry.Backoff;
import org.poplock.readlog.Supervisor;
import redis.clients.jedis.Jedis;

/**
 * readlog's link to the cluster: a sender thread ({@link ClusterSender}) that hands this host's
 * changes ({@link Outbox}) to Redis, each as a key with its expiry as TTL and an entry on the
 * stream in one script, and a follower thread ({@link ClusterFollower}) that reads the stream with
 * blocking reads and queues every other host's changes for the daemon's thread ({@link #drain}),
 * which alone touches the state. Neither ever holds up the daemon: Redis away, slow or refusing
 * costs one line, and a reconnect with a capped backoff ({@link Backoff}).
 *
 * <p>Resume: the follower starts from the stream position the state saved with the entries it led
 * to. When the stream no longer reaches back that far (trimmed, or a Redis that came back empty),
 * or there is no saved position, it loads every current grant from the keys first
 * ({@link GrantKeys}, SCAN), then follows from the stream's end as it was before the scan; an event
 * read twice changes nothing.
 */
public final class ClusterLink implements AutoCloseable {

    /**
     * What the follower read, in order: an event to apply (or null for an entry ignored or our own)
     * and the position after it (or null); or a grant loaded from the keys; or the end of such a
     * load, after which, when the load was {@code whole}, the grants of other hosts that the keys
     * no longer hold are gone.
     */
    public record Incoming(ClusterEvent event, String position, boolean fromSnapshot, boolean snapshotEnd, boolean whole) {
        Incoming(ClusterEvent event, String position) {
            this(event, position, false, false, false);
        }
    }

    private final ClusterSettings settings;
    private final Outbox outbox;
    private final Health health;
    private final Supervisor supervisor;
    private final ClusterSender sender;
    private final ClusterFollower follower;
    private volatile Thread senderThread;
    private volatile Thread followerThread;

    /**
     * {@code longest}: the longest a grant may live (stream entries beyond it are refused, the stream
     * keeps no more); {@code position}: where the state says the stream was applied up to, or null.
     */
    public ClusterLink(ClusterSettings settings, Duration longest, Outbox outbox, String position, Clock clock, Supervisor supervisor,
            Consumer<String> log) {
        this.settings = settings;
        this.outbox = outbox;
        this.health = new Health(settings.where(), log);
        this.supervisor = supervisor;
        var connector = new RedisConnector(settings);
        var keys = new GrantKeys(settings, longest, clock, health);
        this.sender = new ClusterSender(settings, connector, longest, outbox, clock, health, keys);
        this.follower = new ClusterFollower(settings, connector, longest, outbox, position, clock, health, keys);
    }

    public void start() {
        senderThread = supervisor.start("cluster-sender", sender::run);
        followerThread = supervisor.start("cluster-follower", follower::run);
    }

    /** Queues one of this host's changes for Redis. */
    public void send(ClusterEvent event) {
        outbox.add(event);
    }

    /** Hands what the follower read since the last call, in order, to {@code apply} (on the daemon's thread). */
    public void drain(Consumer<Incoming> apply) {
        follower.drain(apply);
    }

    public String me() {
        return settings.me();
    }

    /** Why the cluster is lost now, or null. */
    public String problem() {
        return health.problem();
    }

    /** Entries of the stream ignored as malformed or hostile, so far. */
    public long ignored() {
        return health.ignored();
    }

    static void closeQuietly(Jedis jedis) {
        if (jedis != null) {
            try {
                jedis.close();
            } catch (RuntimeException e) {
                // already broken
            }
        }
    }

    /** Stops both threads; what is still in the outbox stays there for the state to save. */
    @Override
    public void close() {
        sender.stop();
        follower.stop();
        var threads = Stream.of(senderThread, followerThread).filter(Objects::nonNull).toList();
        threads.forEach(Thread::interrupt);
        try {
            for (var t : threads) {
                t.join(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.close();
    }
}
