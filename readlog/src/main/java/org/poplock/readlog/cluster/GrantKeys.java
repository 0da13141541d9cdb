package org.poplock.readlog.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.poplock.common.address.Printable;
import org.poplock.readlog.cluster.ClusterLink.Incoming;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;

/**
 * The grant keys in Redis, one per address with its expiry as TTL: the whole truth of who may relay
 * when the stream no longer reaches back to where this host was, so the follower catches up from
 * them (and from the flag keys, one per flagged user); the sender clears them after a flush.
 */
final class GrantKeys {

    private final ClusterSettings settings;
    private final Duration longest;
    private final Clock clock;
    private final Health health;

    GrantKeys(ClusterSettings settings, Duration longest, Clock clock, Health health) {
        this.settings = settings;
        this.longest = longest;
        this.clock = clock;
        this.health = health;
    }

    /** Every grant key and its value ("login expiry host user"), by SCAN and MGET a thousand at a time; one expired meanwhile is left out. */
    void forEach(Jedis jedis, BiConsumer<String, String> action) {
        forEach(jedis, settings.grantPrefix(), action);
    }

    private static void forEach(Jedis jedis, String prefix, BiConsumer<String, String> action) {
        var params = new ScanParams().match(prefix + "*").count(1000);
        var cursor = ScanParams.SCAN_POINTER_START;
        do {
            var page = jedis.scan(cursor, params);
            cursor = page.getCursor();
            var keys = page.getResult();
            if (!keys.isEmpty()) {
                var values = jedis.mget(keys.toArray(String[]::new));
                for (int i = 0; i < keys.size(); i++) {
                    if (values.get(i) != null) {
                        action.accept(keys.get(i), values.get(i));
                    }
                }
            }
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }

    /**
     * When the stream no longer reaches back to {@code position} (or there is none): every grant the
     * keys hold queued, then the load's end; returns where to follow the stream from.
     */
    String catchUpIfNeeded(Jedis jedis, String position, Consumer<Incoming> queue) {
        var info = StreamState.of(jedis, settings.streamKey(), position);
        if (position != null && !info.lostSince(position)) {
            return position;
        }
        // Trimmed past us (or never followed): the keys are the whole truth, and a grant of another
        // host they lack was removed meanwhile. A Redis that came back empty knows less than we do:
        // its keys are merged, and what we hold stays until its own expiry.
        boolean whole = position == null || !info.startedOverBelow(position);
        var from = info.lastGenerated();
        int[] loaded = {0};
        forEach(jedis, (key, value) -> {
            var event = fromKey(key, value);
            if (event != null) {
                queue.accept(new Incoming(event, null, true, false, false));
                loaded[0]++;
            }
        });
        // The flags too: a flag lasts longer than the stream reaches back.
        forEach(jedis, settings.flagPrefix(), (key, value) -> {
            var event = fromFlagKey(key, value);
            // This host's own flags it knows (a key it has not yet removed may be one it lifted).
            if (event != null && !event.host().equals(settings.me())) {
                queue.accept(new Incoming(event, null, false, false, false));
            }
        });
        queue.accept(new Incoming(null, from, false, true, whole));
        health.caughtUp(loaded[0], position != null);
        return from;
    }

    /** After a flush on the stream, the keys of every grant not newer than it go too, so a host that catches up from them sees none. */
    void removeUpTo(Jedis jedis, long at) {
        forEach(jedis, (key, value) -> {
            var login = ClusterEvent.loginOf(value);
            if (login == null) {
                health.ignoredEntry("flush", "grant key " + Printable.of(key), "its value holds no login time in ms; left as no grant");
            } else if (login <= at) {
                jedis.del(key);
            }
        });
    }

    /** A flag key and its value ("until host") as the flag, or null (ignored with a line) when it is not one. */
    private ClusterEvent fromFlagKey(String key, String value) {
        try {
            return ClusterEvent.ofFlagKey(key.substring(settings.flagPrefix().length()), value, clock.instant());
        } catch (IllegalArgumentException e) {
            health.ignoredEntry("key", "flag key " + Printable.of(key), e.getMessage());
            return null;
        }
    }

    /** A grant key and its value ("login expiry host user") as an event, or null (ignored with a line) when it is not one. */
    private ClusterEvent fromKey(String key, String value) {
        try {
            return ClusterEvent.ofGrantKey(key.substring(settings.grantPrefix().length()), value, clock.instant(), longest);
        } catch (IllegalArgumentException e) {
            health.ignoredEntry("key", "grant key " + Printable.of(key), e.getMessage());
            return null;
        }
    }
}
