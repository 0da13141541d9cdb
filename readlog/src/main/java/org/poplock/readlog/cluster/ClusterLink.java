package org.poplock.readlog.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.poplock.common.address.Printable;
import org.poplock.common.retry.Backoff;
import org.poplock.readlog.Supervisor;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * readlog's link to the cluster: a sender thread that hands this host's changes ({@link Outbox})
 * to Redis, each as a key with its expiry as TTL and an entry on the stream in one script, and a
 * follower thread that reads the stream with blocking reads and queues every other host's changes
 * for the daemon's thread ({@link #drain}), which alone touches the state. Neither ever holds up
 * the daemon: Redis away, slow or refusing costs one line, and a reconnect with a capped backoff.
 *
 * <p>Resume: the follower starts from the stream position the state saved with the entries it led
 * to. When the stream no longer reaches back that far (trimmed, or a Redis that came back empty),
 * or there is no saved position, it loads every current grant from the keys first (SCAN), then
 * follows from the stream's end as it was before the scan; an event read twice changes nothing.
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

    static final int BLOCK_MILLIS = 2000;
    private static final int BATCH = 200;
    /**
     * What the follower may have read ahead of the daemon's thread, a catch-up from the keys
     * included (a few hundred bytes each): a million grants loaded at once would otherwise sit
     * here whole.
     */
    static final int INCOMING = 10_000;

    /**
     * One atomic step per change: the grant's key (set only when it expires later than what is
     * there; removed for a removal not older than its grant) and the stream entry, the stream
     * trimmed by age to the longest grant. A stored value whose times are no numbers this version
     * would write (beyond 15 digits, an expiry past the longest grant from now) is anyone's
     * writing but ours: it counts as no grant, is replaced or removed, and the reply 2 says so.
     * KEYS: the grant key, the stream. ARGV: op, ip, user, login, expiry, host, at, the oldest
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
            end
            redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[8], '*', 'op', op, 'ip', ARGV[2], 'user', ARGV[3],
              'login', ARGV[4], 'expiry', ARGV[5], 'host', ARGV[6], 'at', ARGV[7])
            return result
            """;

    private final ClusterSettings settings;
    private final RedisConnector connector;
    private final Duration longest;
    private final Outbox outbox;
    private final Clock clock;
    private final Health health;
    /** Read and not yet applied: the follower waits while it is full, and Redis keeps what it has not read. */
    private final BlockingQueue<Incoming> incoming = new LinkedBlockingQueue<>(INCOMING);
    private volatile String position;
    private volatile boolean running = true;
    private volatile Jedis sending;
    private volatile Jedis following;
    private final Supervisor supervisor;
    private volatile Thread sender;
    private volatile Thread follower;

    /**
     * {@code longest}: the longest a grant may live (stream entries beyond it are refused, the stream
     * keeps no more); {@code position}: where the state says the stream was applied up to, or null.
     */
    public ClusterLink(ClusterSettings settings, Duration longest, Outbox outbox, String position, Clock clock, Supervisor supervisor,
            Consumer<String> log) {
        this.settings = settings;
        this.connector = new RedisConnector(settings);
        this.longest = longest;
        this.outbox = outbox;
        this.position = position;
        this.clock = clock;
        this.health = new Health(settings.where(), log);
        this.supervisor = supervisor;
    }

    public void start() {
        sender = supervisor.start("cluster-sender", this::sendLoop);
        follower = supervisor.start("cluster-follower", this::followLoop);
    }

    /** Queues one of this host's changes for Redis. */
    public void send(ClusterEvent event) {
        outbox.add(event);
    }

    /** Hands what the follower read since the last call, in order, to {@code apply} (on the daemon's thread). */
    public void drain(Consumer<Incoming> apply) {
        for (int n = INCOMING; n > 0; n--) {
            var in = incoming.poll();
            if (in == null) {
                return;
            }
            apply.accept(in);
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

    private void sendLoop() {
        var backoff = new Backoff();
        while (running) {
            List<Outbox.Item> batch;
            try {
                batch = outbox.peek(BATCH, 1000, clock.instant());
            } catch (InterruptedException e) {
                return;
            }
            if (batch.isEmpty()) {
                health.sent(0, true);
                continue;
            }
            try {
                if (sending == null) {
                    sending = connector.connect(5000);
                }
                send(sending, batch);
                outbox.ack(batch.get(batch.size() - 1).seq());
                health.sent(batch.size(), outbox.size() == 0);
                backoff.reset();
            } catch (RuntimeException e) {
                closeQuietly(sending);
                sending = null;
                if (!(e instanceof JedisException)) {
                    throw e; // no outage: the supervisor says it and starts the sender again
                }
                health.down(e, outbox.size());
                pause(backoff);
            }
        }
    }

    private void send(Jedis jedis, List<Outbox.Item> batch) {
        var keep = (clock.millis() - longest.toMillis()) + "-0";
        var latest = Long.toString(clock.millis() + longest.toMillis() + ClusterEvent.SKEW.toMillis());
        var pipeline = jedis.pipelined();
        var replies = new ArrayList<Response<Object>>();
        for (var item : batch) {
            var e = item.event();
            var key = e.op() == ClusterEvent.Op.FLUSH ? settings.streamKey() : settings.grantPrefix() + e.ip();
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
                removeGrantsUpTo(jedis, item.event().at().toEpochMilli());
            }
        }
    }

    /** After a flush on the stream, the keys of every grant not newer than it go too, so a host that catches up from them sees none. */
    private void removeGrantsUpTo(Jedis jedis, long at) {
        forEachGrantKey(jedis, (key, value) -> {
            var login = ClusterEvent.loginOf(value);
            if (login == null) {
                health.ignoredEntry("flush", "grant key " + Printable.of(key), "its value holds no login time in ms; left as no grant");
            } else if (login <= at) {
                jedis.del(key);
            }
        });
    }

    /** Every grant key and its value ("login expiry host user"), by SCAN and MGET a thousand at a time; one expired meanwhile is left out. */
    private void forEachGrantKey(Jedis jedis, BiConsumer<String, String> action) {
        var params = new ScanParams().match(settings.grantPrefix() + "*").count(1000);
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

    private void followLoop() {
        var backoff = new Backoff();
        while (running) {
            try {
                if (following == null) {
                    following = connector.connect(BLOCK_MILLIS + 5000);
                    catchUpIfNeeded(following);
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
                closeQuietly(following);
                following = null;
                if (running && !(e instanceof JedisException)) {
                    throw e; // no outage: the supervisor says it and starts the follower again, which catches up anew
                }
                if (running) {
                    health.down(e, outbox.size());
                    pause(backoff);
                }
            }
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

    private void catchUpIfNeeded(Jedis jedis) {
        var info = StreamState.of(jedis, settings.streamKey(), position);
        if (position != null && !info.lostSince(position)) {
            return;
        }
        // Trimmed past us (or never followed): the keys are the whole truth, and a grant of another
        // host they lack was removed meanwhile. A Redis that came back empty knows less than we do:
        // its keys are merged, and what we hold stays until its own expiry.
        boolean whole = position == null || !info.startedOverBelow(position);
        var from = info.lastGenerated();
        int[] loaded = {0};
        forEachGrantKey(jedis, (key, value) -> {
            var event = fromKey(key, value);
            if (event != null) {
                queue(new Incoming(event, null, true, false, false));
                loaded[0]++;
            }
        });
        queue(new Incoming(null, from, false, true, whole));
        health.caughtUp(loaded[0], position != null);
        position = from;
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

    private static void pause(Backoff backoff) {
        try {
            Thread.sleep(backoff.next());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Jedis jedis) {
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
        running = false;
        var threads = Stream.of(sender, follower).filter(Objects::nonNull).toList();
        threads.forEach(Thread::interrupt);
        closeQuietly(following); // a blocking read ends with its socket
        try {
            for (var t : threads) {
                t.join(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(sending);
    }
}
