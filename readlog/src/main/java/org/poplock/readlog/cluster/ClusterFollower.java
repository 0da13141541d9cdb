package org.poplock.readlog.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.poplock.common.address.Printable;
import org.poplock.readlog.cluster.ClusterLink.Incoming;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
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
    private final Duration longest;
    private final Clock clock;
    private final Health health;
    /** Read and not yet applied: the follower waits while it is full, and Redis keeps what it has not read. */
    private final BlockingQueue<Incoming> incoming = new LinkedBlockingQueue<>(INCOMING);
    /** Each new connection catches up from the keys first when the stream no longer reaches back to the position. */
    private final RedisLoop loop;
    private volatile String position;

    /** {@code position}: where the state says the stream was applied up to, or null. */
    ClusterFollower(ClusterSettings settings, RedisConnector connector, Duration longest, Outbox outbox, String position, Clock clock,
            Health health, GrantKeys keys) {
        this.settings = settings;
        this.longest = longest;
        this.position = position;
        this.clock = clock;
        this.health = health;
        this.loop = new RedisLoop(() -> connector.connect(BLOCK_MILLIS + 5000),
                following -> this.position = keys.catchUpIfNeeded(following, this.position, this::queue), health, outbox);
    }

    /**
     * The thread's work: returns once {@link #stop} was called. Anything but a Redis failure goes
     * to the supervisor, which starts the follower again, and it catches up anew.
     */
    void run() {
        loop.run(this::read);
    }

    /** One blocking read of the stream, what it brought queued. */
    private boolean read(Supplier<Jedis> redis) {
        var read = redis.get().xread(XReadParams.xReadParams().block(BLOCK_MILLIS).count(1000),
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
        return true;
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
        loop.stop();
        loop.close();
    }
}
