package org.poplock.readlog.cluster;

import java.util.function.Consumer;
import java.util.function.Supplier;
import org.poplock.common.retry.Backoff;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A link thread's life with Redis, around the rounds of its own work: one connection, opened when
 * a round first asks for it and kept while rounds go well; after a Redis failure it is dropped, the
 * outage said through {@link Health}, and the next round comes after a {@link Backoff}, which starts
 * over at each round done with Redis. Any other failure is no outage: it goes to the thread's
 * supervisor, which starts the work again. After {@link #stop} a failure is the stop's doing (a
 * socket closed under a blocking read) and ends the loop without a word.
 */
final class RedisLoop {

    /** One round of a thread's work; {@code redis} connects when first asked. */
    @FunctionalInterface
    interface Round {
        /** True when the round was done with Redis, false when there was nothing to do (the backoff stays where it is). */
        boolean run(Supplier<Jedis> redis) throws InterruptedException;
    }

    private final Supplier<Jedis> connect;
    private final Consumer<Jedis> connected;
    private final Health health;
    private final Outbox outbox;
    private volatile boolean running = true;
    private volatile Jedis redis;

    /**
     * {@code connect}: a new connection; {@code connected}: what a new connection is used for first,
     * a failure in it being the round's; {@code outbox}: what waits to be sent, named in the outage line.
     */
    RedisLoop(Supplier<Jedis> connect, Consumer<Jedis> connected, Health health, Outbox outbox) {
        this.connect = connect;
        this.connected = connected;
        this.health = health;
        this.outbox = outbox;
    }

    /** The thread's work: rounds until {@link #stop} or an interrupt in a round; a backoff of its own at each start. */
    void run(Round round) {
        run(round, new Backoff());
    }

    void run(Round round, Backoff backoff) {
        while (running) {
            try {
                if (round.run(this::connection)) {
                    backoff.reset();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                ClusterLink.closeQuietly(redis);
                redis = null;
                if (running && !(e instanceof JedisException)) {
                    throw e;
                }
                if (running) {
                    health.down(e, outbox.size());
                    backoff.pause();
                }
            }
        }
    }

    private Jedis connection() {
        if (redis == null) {
            redis = connect.get();
            connected.accept(redis);
        }
        return redis;
    }

    /** The loop ends after the round under way. */
    void stop() {
        running = false;
    }

    /** Closes the connection; from another thread, this ends a blocking read under way. */
    void close() {
        ClusterLink.closeQuietly(redis);
    }
}
