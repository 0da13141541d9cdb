package org.poplock.readlog;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;

/**
 * {@code readlog --tcprules-refresh}: the tcprules CDB rebuilt from the published database, which
 * holds every grant's expiry, without those that have expired. Run every minute (a systemd timer,
 * a daemontools service), it bounds how long a grant outlives its expiry in the CDB whatever
 * became of readlog (killed, stopped, hung): a minute and one tcprules run. A database that cannot
 * be read leaves no grant in the CDB: the admin's rules alone, until readlog publishes again.
 */
final class TcpRulesRefresh {

    private TcpRulesRefresh() {
    }

    static int run(ReadlogConfig config, Clock clock, Messages log) {
        var now = clock.instant();
        var cdb = config.tcpRules().cdb();
        List<RelayEntry> live;
        int status = 0;
        try {
            live = RelayDatabase.openTable(config.db()).entries().stream().filter(e -> e.isLiveAt(now)).toList();
        } catch (IOException e) {
            log.say("tcprules refresh: " + e.getMessage() + "; writing " + cdb + " without grants");
            live = List.of();
            status = 111;
        }
        try {
            config.tcpRules().writer(log::say, line -> { }).write(live, "refresh");
        } catch (IOException e) {
            log.say("tcprules refresh: cannot write " + cdb + ": " + e.getMessage());
            return 111;
        }
        return status;
    }
}
