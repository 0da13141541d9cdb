package org.poplock.readlog.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import org.poplock.common.address.Printable;
import org.poplock.readlog.Supervisor;
import org.poplock.readlog.state.GrantInput;
import org.poplock.readlog.state.Output;
import org.poplock.readlog.state.RelayState;

/**
 * This readlog as a member of the cluster, an input and an output both: its own changes (as the
 * grants tell them) go to the {@link ClusterLink}'s outbox, and what the link read from the other hosts is merged into the state on the daemon's thread
 * (the later expiry wins; a removal or flush beats every grant not newer than it), with the
 * stream position it reached saved in the same state snapshot as the entries it led to.
 */
public final class ClusterMember implements GrantInput, Output, AutoCloseable {

    private final RelayState state;
    private final ClusterLink link;
    private final Outbox outbox;
    private final Consumer<String> log;
    private volatile String applied;
    private long received;
    private int outboxSize;
    private long lagMillis = -1;
    /** The addresses a load from the keys has named so far. */
    private final Set<String> inSnapshot = new HashSet<>();

    private ClusterMember(RelayState state, ClusterLink link, Outbox outbox, String applied, Consumer<String> log) {
        this.state = state;
        this.link = link;
        this.outbox = outbox;
        this.log = log;
        this.applied = applied;
    }

    /** Joins the cluster with what the state saved (its outbox, its stream position); the link's threads start here. */
    public static ClusterMember join(ClusterSettings settings, Duration longest, RelayState state, Clock clock, Supervisor supervisor,
            Consumer<String> log) {
        var saved = state.savedClusterRecords();
        var outbox = Outbox.from(saved, log);
        var position = Outbox.position(saved);
        var member = new ClusterMember(state, new ClusterLink(settings, longest, outbox, position, clock, supervisor, log), outbox, position, log);
        state.clusterRecords(() -> outbox.records(member.applied));
        if (outbox.size() > 0) {
            log.accept("cluster: " + outbox.size() + " changes of this host saved while the cluster was away are sent first");
        }
        member.link.start();
        return member;
    }

    @Override
    public void granted(String ip) {
        state.grants().entry(ip).ifPresent(e -> link.send(ClusterEvent.grant(e, link.me())));
        state.clusterChanged();
    }

    @Override
    public void withdrawn(String ip, Instant at) {
        link.send(ClusterEvent.remove(ip, link.me(), at));
        state.clusterChanged();
    }

    @Override
    public void flushed(Instant at) {
        link.send(ClusterEvent.flush(link.me(), at));
        state.clusterChanged();
    }

    @Override
    public void flagged(String user, Instant until, Instant at) {
        link.send(ClusterEvent.flag(user, until, link.me(), at));
        state.clusterChanged();
    }

    @Override
    public void unflagged(String user, Instant at) {
        link.send(ClusterEvent.unflag(user, link.me(), at));
        state.clusterChanged();
    }

    /**
     * Merges what came from the other hosts since the last round; returns how many entries changed.
     * Another host's grant is also a login to count towards a flag here: a user flagged by that
     * count, or by another host, loses their grants here at the round's end, as by a login here.
     */
    @Override
    public int apply(Instant now) {
        int[] changed = {0};
        boolean[] any = {false};
        link.drain(in -> {
            any[0] = true;
            var e = in.event();
            if (in.fromSnapshot() && e != null) {
                inSnapshot.add(e.ip());
            }
            if (in.snapshotEnd()) {
                if (in.whole()) {
                    changed[0] += state.grants().otherHosts().revokeOthersExcept(inSnapshot);
                }
                inSnapshot.clear();
            }
            if (e != null) {
                received++;
                if (!in.fromSnapshot()) {
                    lagMillis = now.toEpochMilli() - e.at().toEpochMilli();
                }
                boolean did = switch (e.op()) {
                    case GRANT -> !state.guard().refuses(e.user(), now) && state.grants().otherHosts().merge(e.entry(), now);
                    case REMOVE -> state.grants().otherHosts().revokeOlder(e.ip(), e.at());
                    case FLUSH -> state.grants().otherHosts().revokeAllOlder(e.at()) > 0;
                    case FLAG -> flaggedElsewhere(e, now);
                    case UNFLAG -> unflaggedElsewhere(e);
                };
                if (did) {
                    changed[0]++;
                }
            }
            if (in.position() != null) {
                applied = in.position();
            }
        });
        int waiting = outbox.size();
        if (any[0] || waiting != outboxSize) {
            state.clusterChanged(); // the position moved, or Redis took part of the outbox
            outboxSize = waiting;
        }
        return changed[0];
    }

    /** Flagged here too; the user's grants end at the round's end, with the other flags of the round. */
    private boolean flaggedElsewhere(ClusterEvent e, Instant now) {
        state.guard().flaggedElsewhere(e.user(), e.expiry(), e.host(), e.at(), now);
        return false;
    }

    private boolean unflaggedElsewhere(ClusterEvent e) {
        if (state.guard().unflag(e.user(), e.at())) {
            log.accept("cluster: unflagged " + Printable.word(e.user()) + " as cluster host " + Printable.word(e.host()) + " did");
        }
        return false;
    }

    /** How old the last change from the stream was when applied, or -1 before the first. */
    public long lagMillis() {
        return lagMillis;
    }

    /** Why the cluster is lost now (for /health), or null. */
    @Override
    public String problem() {
        return link.problem();
    }

    @Override
    public String summary() {
        return received + " cluster changes received, " + outbox.size() + " waiting to be sent, " + link.ignored() + " stream entries ignored";
    }

    @Override
    public void close() {
        link.close();
    }

    /** The link stops; what it had read is merged still, and saved with the state. */
    @Override
    public void stop(Instant now) {
        close();
        apply(now);
    }
}
