package org.poplock.readlog.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.poplock.common.address.Printable;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Response;

/**
 * The link's sender thread: this host's changes taken from the {@link Outbox} in batches and
 * handed to Redis, each as its grant key and a stream entry in one script; acknowledged in the
 * outbox only once Redis took them. Redis away costs one line and a reconnect after a backoff.
 */
final class ClusterSender {

    /**
     * One atomic step per change: the grant's key (set only when it expires later than what is
     * there; removed for a removal not older than its grant) and the stream entry, the stream
     * trimmed by age to the longest grant. A stored value whose times are no numbers this version
     * would write (beyond 15 digits, an expiry past the longest grant from now) is anyone's
     * writing but ours: it counts as no grant, is replaced or removed, and the reply 2 says so.
     * A flag sets the user's flag key until the flag's end, its lifting removes it: a host that
     * catches up from the keys learns the flags from them.
     * KEYS: the grant key (a flag's: the flag key), the stream. ARGV: op, ip, user, login, expiry, host, at, the oldest
     * stream id to keep, the latest expiry a stored grant may have.
     */
    static final String SCRIPT = """
            local op = ARGV[1]
            local result = 1
            if op == 'grant' then
              local old = redis.call('GET', KEYS[1])
              if old then
                local e = string.match(old, '^%d+ (%d+) ')
                if e and #e <= 15 and tonumber(e) <= tonumber(ARGV[9]) then
                  if tonumber(e) >= tonumber(ARGV[5]) then return 0 end
                else
                  result = 2
                end
              end
              redis.call('SET', KEYS[1], ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. ARGV[3], 'PXAT', ARGV[5])
            elseif op == 'remove' then
              local old = redis.call('GET', KEYS[1])
              if old then
                local l = string.match(old, '^(%d+) ')
                if not (l and #l <= 15) then
                  redis.call('DEL', KEYS[1])
                  result = 2
                elseif tonumber(l) <= tonumber(ARGV[7]) then
                  redis.call('DEL', KEYS[1])
                end
              end
            elseif op == 'flag' then
              redis.call('SET', KEYS[1], ARGV[5] .. ' ' .. ARGV[6], 'PXAT', ARGV[5])
            elseif op == 'unflag' then
              redis.call('DEL', KEYS[1])
            end
            redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[8], '*', 'op', op, 'ip', ARGV[2], 'user', ARGV[3],
              'login', ARGV[4], 'expiry', ARGV[5], 'host', ARGV[6], 'at', ARGV[7])
            return result
            """;

    private static final int BATCH = 200;

    private final ClusterSettings settings;
    private final Duration longest;
    private final Outbox outbox;
    private final Clock clock;
    private final Health health;
    private final GrantKeys keys;
    private final RedisLoop loop;

    ClusterSender(ClusterSettings settings, RedisConnector connector, Duration longest, Outbox outbox, Clock clock, Health health, GrantKeys keys) {
        this.settings = settings;
        this.longest = longest;
        this.outbox = outbox;
        this.clock = clock;
        this.health = health;
        this.keys = keys;
        this.loop = new RedisLoop(() -> connector.connect(5000), sending -> { }, health, outbox);
    }

    /**
     * The thread's work: returns once {@link #stop} was called. Anything but a Redis failure goes
     * to the supervisor, which starts the sender again.
     */
    void run() {
        loop.run(this::drain);
    }

    /** One batch from the outbox to Redis, acknowledged once Redis took it; none when a second passed with the outbox empty. */
    private boolean drain(Supplier<Jedis> redis) throws InterruptedException {
        var batch = outbox.peek(BATCH, 1000, clock.instant());
        if (batch.isEmpty()) {
            health.sent(0, true);
            return false;
        }
        send(redis.get(), batch);
        outbox.ack(batch.get(batch.size() - 1).seq());
        health.sent(batch.size(), outbox.size() == 0);
        return true;
    }

    private void send(Jedis jedis, List<Outbox.Item> batch) {
        var keep = (clock.millis() - longest.toMillis()) + "-0";
        var latest = Long.toString(clock.millis() + longest.toMillis() + ClusterEvent.SKEW.toMillis());
        var pipeline = jedis.pipelined();
        var replies = new ArrayList<Response<Object>>();
        for (var item : batch) {
            var e = item.event();
            var key = switch (e.op()) {
                case GRANT, REMOVE -> settings.grantPrefix() + e.ip();
                case FLAG, UNFLAG -> settings.flagPrefix() + e.user();
                case FLUSH -> settings.streamKey();
            };
            var f = e.fields();
            replies.add(pipeline.eval(SCRIPT, List.of(key, settings.streamKey()),
                    List.of(f.get("op"), f.get("ip"), f.get("user"), f.get("login"), f.get("expiry"), f.get("host"), f.get("at"), keep,
                            latest)));
        }
        pipeline.sync();
        for (int i = 0; i < replies.size(); i++) {
            // a refusal (NOPERM, say) is thrown here
            if (Long.valueOf(2).equals(replies.get(i).get())) {
                health.ignoredEntry("replaced", "grant key " + Printable.of(settings.grantPrefix() + batch.get(i).event().ip()),
                        "its value held no grant this version writes (a time out of range); replaced");
            }
        }
        for (var item : batch) {
            if (item.event().op() == ClusterEvent.Op.FLUSH) {
                keys.removeUpTo(jedis, item.event().at().toEpochMilli());
            }
        }
    }

    void stop() {
        loop.stop();
    }

    /** After its thread ended. */
    void close() {
        loop.close();
    }
}
