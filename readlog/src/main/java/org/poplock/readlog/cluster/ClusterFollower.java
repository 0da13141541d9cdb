package org.poplock.readlog.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.poplock.common.address.Printable;
import org.poplock.common.retry.Backoff;
import org.poplock.readlog.cluster.ClusterLink.Incoming;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The link's follower thread: reads the stream with blocking reads from where the state says it
 * was applied (after a catch-up from the {@link GrantKeys} when the stream no longer reaches back
 * that far), and queues every other host's changes for the daemon's thread, which alone touches the
 * state. Redis away costs one line and a reconnect after a backoff.
 */
final class ClusterFollower {

    static final int BLOCK_MILLIS = 2000;
    /**
     * What the follower may have read ahead of the daemon's thread, a catch-up from the keys
     * included (a few hundred bytes each): a million grants loaded at once would otherwise sit
     * here whole.
     */
    static final int INCOMING = 10_000;

    private final ClusterSettings settings;
    private final RedisConnector connector;
    private final Duration longest;
    private final Outbox outbox;
    private final Clock clock;
    private final Health health;
    private final GrantKeys keys;
    /** Read and not yet applied: the follower waits while it is full, and Redis keeps what it has not read. */
    private final BlockingQueue<Incoming> incoming = new LinkedBlockingQueue<>(INCOMING);
    private volatile String position;
    private volatile boolean running = true;
    private volatile Jedis following;

    /** {@code position}: where the state says the stream was applied up to, or null. */
    ClusterFollower(ClusterSettings settings, RedisConnector connector, Duration longest, Outbox outbox, String position, Clock clock,
            Health health, GrantKeys keys) {
        this.settings = settings;
        this.connector = connector;
        this.longest = longest;
        this.outbox = outbox;
        this.position = position;
        this.clock = clock;
        this.health = health;
        this.keys = keys;
    }

    /** The thread's work: returns once {@link #stop} was called. */
    void run() {
        var backoff = new Backoff();
        while (running) {
            try {
                if (following == null) {
                    following = connector.connect(BLOCK_MILLIS + 5000);
                    position = keys.catchUpIfNeeded(following, position, this::queue);
                }
                var read = following.xread(XReadParams.xReadParams().block(BLOCK_MILLIS).count(1000),
                        Map.of(settings.streamKey(), position == null ? new StreamEntryID() : new StreamEntryID(position)));
                int n = 0;
                if (read != null) {
                    for (var stream : read) {
                        for (var entry : stream.getValue()) {
                            n += take(entry);
                        }
                    }
                }
                health.received(n);
                backoff.reset();
            } catch (RuntimeException e) {
                ClusterLink.closeQuietly(following);
                following = null;
                if (running && !(e instanceof JedisException)) {
                    throw e; // no outage: the supervisor says it and starts the follower again, which catches up anew
                }
                if (running) {
                    health.down(e, outbox.size());
                    backoff.pause();
                }
            }
        }
    }

    /** Hands what the follower read since the last call, in order, to {@code apply} (on the daemon's thread). */
    void drain(Consumer<Incoming> apply) {
        for (int n = INCOMING; n > 0; n--) {
            var in = incoming.poll();
            if (in == null) {
                return;
            }
            apply.accept(in);
        }
    }

    /** One stream entry: queued when valid and another host's, ignored with a line (rate-limited) when not; the position moves on either way. */
    private int take(StreamEntry entry) {
        var id = entry.getID().toString();
        position = id;
        try {
            var event = ClusterEvent.parse(entry.getFields(), clock.instant(), longest);
            if (event.host().equals(settings.me())) {
                queue(new Incoming(null, id)); // ours: applied when it happened
                return 0;
            }
            queue(new Incoming(event, id));
            return 1;
        } catch (IllegalArgumentException e) {
            health.ignoredEntry("entry", "stream entry " + Printable.of(id), e.getMessage());
            queue(new Incoming(null, id));
            return 0;
        }
    }

    /** Queues what the follower read, waiting while the daemon's thread has not taken enough of what came before. */
    private void queue(Incoming in) {
        try {
            incoming.put(in);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("stopping", e);
        }
    }

    /** A blocking read ends with its socket. */
    void stop() {
        running = false;
        ClusterLink.closeQuietly(following);
    }
}
