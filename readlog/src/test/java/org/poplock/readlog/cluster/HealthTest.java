package org.poplock.readlog.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** /health names a lost cluster for as long as it is lost: other hosts' grants are not coming in meanwhile. */
class HealthTest {

    @Test
    void aLostClusterIsAProblemUntilBothThreadsAreBack() {
        var said = new ArrayList<String>();
        var health = new Health("redis://127.0.0.1:6379/0", said::add);
        assertNull(health.problem());
        health.down(new JedisConnectionException("Connection refused"), 3);
        var problem = health.problem();
        assertTrue(problem != null && problem.startsWith("cluster redis://127.0.0.1:6379/0 lost 0 s ago: ")
                && problem.contains("Connection refused"), problem);
        health.sent(3, true);
        assertTrue(health.problem() != null, "the follower is not back yet");
        health.received(0);
        assertNull(health.problem());
        assertEquals(2, said.size(), "one line lost, one back: " + said);
    }
}
