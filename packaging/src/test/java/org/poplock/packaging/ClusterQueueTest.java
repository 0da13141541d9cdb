package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.readlog.Supervisor;
import org.poplock.readlog.cluster.ClusterEvent;
import org.poplock.readlog.cluster.ClusterLink;
import org.poplock.readlog.cluster.ClusterSettings;
import org.poplock.readlog.cluster.Outbox;
import redis.clients.jedis.StreamEntryID;

/**
 * The cluster's incoming queue is bounded: what the follower read from a real Redis's stream and
 * the daemon's loop has not applied is at most 10,000 changes; past it the follower waits, and
 * Redis keeps what it has not read. A busy stream and a slow round cannot fill the heap.
 */
class ClusterQueueTest {

    private static final int INCOMING = 10_000;

    @TempDir
    Path dir;

    @Test
    void theFollowerWaitsWhileTenThousandChangesAreUnappliedAndGoesOnWhenTheyAre() throws Exception {
        try (var redis = new RedisServer(dir.resolve("redis")).start(); var client = redis.client()) {
            var said = new CopyOnWriteArrayList<String>();
            var settings = ClusterSettings.of(redis.url(), null, null, null, "poplock",
                    new ClusterSettings.SentinelOptions(List.of(), null, null, null, List.of()), "pop-a");
            var link = new ClusterLink(settings, Duration.ofDays(1), Outbox.from(Map.of(), said::add), null, Clock.systemUTC(),
                    new Supervisor(said::add), said::add);
            var taken = new ArrayList<ClusterLink.Incoming>();
            try {
                link.start();
                Launchers.await(Duration.ofSeconds(30), "the follower caught up with the empty cluster (" + said + ")",
                        () -> said.stream().anyMatch(l -> l.contains("following its stream")));
                link.drain(taken::add); // the catch-up's end
                taken.clear();
                int sent = INCOMING + 5_000;
                var pipeline = client.pipelined();
                var at = Instant.now();
                for (int i = 0; i < sent; i++) {
                    pipeline.xadd("poplock:stream", StreamEntryID.NEW_ENTRY,
                            ClusterEvent.remove("10.1." + (i >> 8 & 255) + "." + (i & 255), "pop-b", at).fields());
                }
                pipeline.sync();
                Launchers.await(Duration.ofSeconds(60), "the follower waiting for the loop with " + INCOMING + " changes unapplied",
                        ClusterQueueTest::followerWaitsOnItsQueue);
                link.drain(taken::add);
                assertEquals(INCOMING, events(taken), "changes held for the loop when the follower had to wait");
                Launchers.await(Duration.ofSeconds(60), "the rest once the loop took them", () -> {
                    link.drain(taken::add);
                    return events(taken) == sent;
                });
            } finally {
                link.close();
            }
        }
    }

    private static int events(List<ClusterLink.Incoming> taken) {
        return (int) taken.stream().filter(in -> in.event() != null).count();
    }

    /** The follower thread parked in the queue's put: full, waiting for the loop. */
    private static boolean followerWaitsOnItsQueue() {
        return Thread.getAllStackTraces().entrySet().stream().anyMatch(e -> e.getKey().getName().equals("cluster-follower")
                && e.getKey().getState() == Thread.State.WAITING
                && Arrays.stream(e.getValue()).anyMatch(f -> f.getMethodName().equals("put") && f.getClassName().contains("BlockingQueue")));
    }
}
