package org.poplock.readlog.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.poplock.common.retry.Backoff;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The cluster threads' life with Redis, without a Redis: connections are unconnected clients that
 * count their closing, and each round says what it did. A round that fails waits out a real backoff
 * (a quarter second, then half a second).
 */
class RedisLoopTest {

    private final List<String> said = new ArrayList<>();
    private final Health health = new Health("redis://127.0.0.1:6379/0", said::add);
    private final List<Jedis> opened = new ArrayList<>();
    private final AtomicInteger closed = new AtomicInteger();
    private final List<Jedis> connectedTo = new ArrayList<>();
    private final RedisLoop loop = new RedisLoop(this::open, connectedTo::add, health, Outbox.from(Map.of(), line -> { }));

    private Jedis open() {
        var jedis = new Jedis() {
            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };
        opened.add(jedis);
        return jedis;
    }

    @Test
    void aRedisFailureDropsTheConnectionSaysTheOutageOnceAndARoundDoneWithRedisStartsTheBackoffOver() {
        var rounds = new AtomicInteger();
        var backoff = new Backoff();
        loop.run(redis -> {
            var jedis = redis.get();
            assertSame(jedis, redis.get(), "one connection in a round");
            switch (rounds.incrementAndGet()) {
                case 1, 2 -> throw new JedisConnectionException("Connection refused");
                case 3 -> {
                    return true;
                }
                default -> {
                    assertSame(opened.get(2), jedis, "kept while rounds go well");
                    loop.stop();
                    return false;
                }
            }
        }, backoff);
        assertEquals(4, rounds.get());
        assertEquals(3, opened.size(), "a new connection after each failure");
        assertEquals(opened, connectedTo, "each new connection handed over once");
        assertEquals(2, closed.get(), "each failed connection closed");
        assertEquals(1, said.size(), "one line for the outage: " + said);
        assertTrue(said.get(0).contains(" lost: Connection refused;"), said.get(0));
        assertTrue(health.problem() != null);
        long wait = backoff.next();
        assertTrue(wait >= Backoff.FIRST_MILLIS && wait <= Backoff.FIRST_MILLIS * 5 / 4, "started over after the third round: " + wait);
    }

    @Test
    void aRoundWithNothingToDoLeavesTheBackoffWhereItIs() {
        var rounds = new AtomicInteger();
        var backoff = new Backoff();
        loop.run(redis -> {
            if (rounds.incrementAndGet() == 1) {
                redis.get();
                throw new JedisConnectionException("Connection refused");
            }
            loop.stop();
            return false;
        }, backoff);
        assertTrue(backoff.next() >= 2 * Backoff.FIRST_MILLIS, "one failure behind it");
        assertEquals(1, opened.size(), "a round that did not ask for Redis did not connect");
    }

    @Test
    void anyOtherFailureGoesToTheSupervisorWithTheConnectionClosedAndNoOutage() {
        var failure = new IllegalStateException("a bug");
        var thrown = assertThrows(IllegalStateException.class, () -> loop.run(redis -> {
            redis.get();
            throw failure;
        }));
        assertSame(failure, thrown);
        assertEquals(1, closed.get());
        assertEquals(List.of(), said);
        assertNull(health.problem());
    }

    @Test
    void afterStopAFailureIsTheStopsAndEndsTheLoopWithoutAWord() {
        loop.run(redis -> {
            redis.get();
            loop.stop();
            loop.close(); // as the follower's stop ends its blocking read
            throw new JedisConnectionException("Socket closed");
        });
        assertEquals(List.of(), said);
        assertNull(health.problem());
        assertEquals(2, closed.get(), "closed by the stop, and by the loop after the failure");
    }

    @Test
    void afterStopAnyOtherFailureEndsTheLoopToo() {
        loop.run(redis -> {
            loop.stop();
            throw new IllegalStateException("stopping"); // the follower's queue, interrupted by the link's close
        });
        assertEquals(List.of(), said);
    }

    @Test
    void anInterruptInARoundEndsTheLoop() {
        var rounds = new AtomicInteger();
        loop.run(redis -> {
            rounds.incrementAndGet();
            throw new InterruptedException();
        });
        assertEquals(1, rounds.get());
        assertEquals(List.of(), said);
    }
}
