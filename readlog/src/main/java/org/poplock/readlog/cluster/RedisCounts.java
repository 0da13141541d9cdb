package org.poplock.readlog.cluster;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import org.poplock.readlog.budget.Budget;
import redis.clients.jedis.Jedis;

/**
 * The budgets' counters in the cluster's Redis, one across every SMTP host: each key counted with
 * {@code INCR} and given its expiry when it is made, in one script so a key never lives without
 * one. Keys sit under {@code NAME:budget:}, beside the grants and the stream. The policy service
 * asks from many threads; connections are taken from a small pool, each reply bounded by
 * {@link #TIMEOUT_MILLIS} so a slow Redis costs Postfix a second at most before the host counts alone.
 */
public final class RedisCounts implements Budget.SharedCounts {

    static final int TIMEOUT_MILLIS = 1000;
    private static final int IDLE = 16;
    private static final String SCRIPT = String.join("\n",
            "local out = {}",
            "for i, key in ipairs(KEYS) do",
            "  local n = redis.call('INCR', key)",
            "  if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end",
            "  out[i] = n",
            "end",
            "return out");

    private final RedisConnector connector;
    private final String prefix;
    private final ArrayBlockingQueue<Jedis> idle = new ArrayBlockingQueue<>(IDLE);

    public RedisCounts(ClusterSettings settings) {
        this.connector = new RedisConnector(settings);
        this.prefix = settings.name() + ":budget:";
    }

    @Override
    public long[] increment(List<String> keys, long ttlMillis) {
        var jedis = idle.poll();
        if (jedis == null) {
            try {
                jedis = connector.connect(TIMEOUT_MILLIS);
            } catch (RuntimeException e) {
                throw new IllegalStateException(Failures.reason(e), e);
            }
        }
        try {
            var reply = (List<?>) jedis.eval(SCRIPT, keys.stream().map(k -> prefix + k).toList(), List.of(Long.toString(ttlMillis)));
            var out = new long[reply.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (Long) reply.get(i);
            }
            if (!idle.offer(jedis)) {
                jedis.close();
            }
            return out;
        } catch (RuntimeException e) {
            jedis.close();
            throw new IllegalStateException(Failures.reason(e), e);
        }
    }

    @Override
    public void close() {
        Jedis jedis;
        while ((jedis = idle.poll()) != null) {
            jedis.close();
        }
    }
}
