package org.poplock.readlog.state;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sessions opened by a login and not yet closed (--keep-while-connected): session → address, and
 * when it began. In memory only: a restart forgets them, and their grants then expire as usual.
 */
public final class Sessions {

    private record Open(String ip, Instant since) {
    }

    private final Map<String, Open> open = new HashMap<>();

    public void opened(String session, String ip, Instant at) {
        open.put(session, new Open(ip, at));
    }

    public void closed(String session) {
        open.remove(session);
    }

    /**
     * The addresses of the sessions still open, forgetting those open longer than {@code maxKeep}:
     * a server that dies logs no disconnect.
     */
    List<String> openAddresses(Instant now, Duration maxKeep) {
        var out = new ArrayList<String>();
        for (var it = open.values().iterator(); it.hasNext(); ) {
            var s = it.next();
            if (s.since().plus(maxKeep).isBefore(now)) {
                it.remove();
            } else {
                out.add(s.ip());
            }
        }
        return out;
    }
}
