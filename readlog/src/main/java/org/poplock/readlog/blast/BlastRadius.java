package org.poplock.readlog.blast;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.poplock.common.address.Printable;
import org.poplock.common.store.RelayEntry;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.abuse.Flags;
import org.poplock.readlog.metrics.Metrics;
import org.poplock.readlog.policy.PolicyAnswers;
import org.poplock.readlog.shared.AddressUsers;
import org.poplock.readlog.state.LoginGuard;
import org.poplock.readlog.state.RelayState;

/**
 * How far one login's grant reaches: the users of each address (for the policy service's sender
 * binding and for telling shared addresses), the shared-address rule, and the flags on users whose
 * password looks stolen. Logins arrive on the daemon's thread; {@link #allows} is asked from
 * the policy service's threads.
 */
public final class BlastRadius implements LoginGuard, PolicyAnswers.SenderCheck {

    /** Shared addresses remembered for showallowed and for saying each once: beyond this many the oldest go. */
    static final int MOST_SHARED = 100_000;

    private volatile BlastSettings settings;
    private final AddressUsers users;
    private final Flags flags;
    /** Where the flags go when they change (readlog's state): a restart keeps them. */
    private final Consumer<Map<String, Long>> saveFlags;
    private final Consumer<String> log;
    private final Troubles troubles;
    /** Shared addresses and when a login last came from each. */
    private final Map<String, Long> shared = new ConcurrentHashMap<>();
    private final LongAdder mismatches = new LongAdder();
    private final LongAdder sharedSeen = new LongAdder();
    private final LongAdder sharedLogins = new LongAdder();
    private final LongAdder flaggedSeen = new LongAdder();
    private final LongAdder flaggedLogins = new LongAdder();
    /** Users flagged and not yet taken by the state (which ends their grants and tells the other hosts): the daemon's thread only. */
    private final ArrayDeque<Flag> flaggedNow = new ArrayDeque<>();
    /** Flags made or lifted since they were last saved. */
    private boolean flagsChanged;

    private BlastRadius(BlastSettings settings, AddressUsers users, Consumer<Map<String, Long>> saveFlags, Consumer<String> log) {
        this.settings = settings;
        this.users = users;
        this.saveFlags = saveFlags;
        this.flags = new Flags(settings.flagNetworks(), settings.flagFor().toMillis());
        this.log = log;
        this.troubles = new Troubles("policy: ", log);
    }

    /** A guard for {@code state}'s logins, counted in {@code metrics}: the daemon's one line. */
    public static BlastRadius guard(BlastSettings settings, Duration timeout, RelayState state, Metrics metrics, Consumer<String> log) {
        // An address's one user is read from its grant (the daemon's thread) or from the policy
        // service's table (its threads): only addresses with several users cost memory.
        var users = new AddressUsers(timeout.toMillis(), ip -> state.grants().entry(ip).orElse(null));
        var blast = new BlastRadius(settings, users, state::flagsChanged, log);
        blast.flags.restore(state.savedFlags(), System.currentTimeMillis());
        state.guard(blast);
        blast.count(metrics);
        return blast;
    }

    /** Settings read again (SIGHUP): the sender rule and map, the shared networks, the limits. */
    public void reconfigure(BlastSettings fresh) {
        this.settings = fresh;
    }

    public void count(Metrics metrics) {
        metrics.counter("poplock_policy_sender_mismatch_total", "policy requests answered DUNNO for a live grant: the sender belongs to none of the address's users",
                mismatches::sum);
        metrics.counter("poplock_shared_addresses_total", "addresses found shared (more than --shared-users users, or in --shared-networks)", sharedSeen::sum);
        metrics.counter("poplock_shared_logins_total", "logins from a shared address (granted as --shared-grant says)", sharedLogins::sum);
        metrics.counter("poplock_flagged_users_total", "users flagged: logins from more than --flag-networks networks within an hour", flaggedSeen::sum);
        metrics.counter("poplock_flagged_logins_total", "logins of flagged users: no grant", flaggedLogins::sum);
    }

    @Override
    public Duration grantFor(String ip, String user, Instant loginTime, Duration timeout, Instant now) {
        var s = settings;
        long millis = Math.min(loginTime.toEpochMilli(), now.toEpochMilli());
        if (s.flagNetworks() > 0) {
            count(user, ip, millis, true);
            if (flags.isFlagged(user, millis)) {
                flaggedLogins.increment();
                return null;
            }
        }
        // Every login counts as one of the address's users, also one that leaves its grant as it was.
        users.seen(ip, user, millis);
        // At least this login's user, whom an address's grant may not hold yet.
        int distinct = Math.max(1, users.users(ip, now.toEpochMilli()).size());
        if (!s.shared().isShared(ip, distinct)) {
            return timeout;
        }
        sharedLogins.increment();
        if (shared.put(ip, millis) == null) {
            sharedSeen.increment();
            log.accept(ip + " is shared: " + (distinct > s.shared().mostUsers() ? distinct + " users logged in from it within the timeout"
                    : "it lies in the shared networks") + "; its logins grant " + switch (s.shared().grant()) {
                        case FULL -> "as any other";
                        case SHORTER -> "for " + s.shared().grantFor(timeout).toSeconds() + "s";
                        case NONE -> "nothing";
                    });
            forgetOldShared(millis - timeout.toMillis());
        }
        return s.shared().grantFor(timeout);
    }

    /** A login of {@code user} from {@code ip} counted towards a flag: a login here, or ({@code here} false) another host's grant. */
    private void count(String user, String ip, long millis, boolean here) {
        var s = settings;
        if (flags.seen(user, ip, millis)) {
            // Raised by a login here: the other hosts are told. Raised by their grants: each counts them itself.
            flagged(new Flag(user, Instant.ofEpochMilli(flags.until(user)), !s.flagKeepsGrants(), here), millis,
                    "logins from more than " + s.flagNetworks() + " networks within an hour" + (here ? "" : " across the cluster") + " (a stolen password?)");
        }
    }

    /** A new flag: said, counted, and queued for the state, which ends the user's grants and saves the flags once a round. */
    private void flagged(Flag flag, long millis, String why) {
        flaggedSeen.increment();
        flaggedNow.add(flag);
        flagsChanged = true;
        log.accept("flagged " + Printable.word(flag.user()) + ": " + why + "; no grants for " + (flag.until().toEpochMilli() - millis) / 1000 + "s"
                + (flag.endsGrants() ? ", its grants end" : "") + "; showallowed --unflag lifts it");
    }

    private void forgetOldShared(long before) {
        if (shared.size() > MOST_SHARED) {
            shared.values().removeIf(last -> last < before);
        }
        if (shared.size() > MOST_SHARED) {
            shared.clear(); // a flood of shared addresses: they are said again, not held without end
        }
    }

    @Override
    public List<Flag> takeFlagged(Instant now) {
        if (flagsChanged) {
            flagsChanged = false;
            saveFlags.accept(flags.flagged(now.toEpochMilli()));
        }
        if (flaggedNow.isEmpty()) {
            return List.of();
        }
        var out = List.copyOf(flaggedNow);
        flaggedNow.clear();
        return out;
    }

    @Override
    public void entered(RelayEntry entry) {
        long millis = entry.login().toEpochMilli();
        users.seen(entry.ip(), entry.user(), millis);
        // Another host's grant is a login there: counted here too, so a user's networks are one count across the cluster.
        if (!entry.origin().isEmpty() && !entry.user().isEmpty() && settings.flagNetworks() > 0) {
            count(entry.user(), entry.ip(), millis, false);
        }
    }

    @Override
    public void flaggedElsewhere(String user, Instant until, String host, Instant at, Instant now) {
        var s = settings;
        long end = s.flagNetworks() == 0 ? 0 : flags.flagUntil(user, until.toEpochMilli(), at.toEpochMilli(), now.toEpochMilli());
        if (end != 0) { // not told to the other hosts: they heard of it from the one that flagged it
            flagged(new Flag(user, Instant.ofEpochMilli(end), !s.flagKeepsGrants(), false), now.toEpochMilli(),
                    "cluster host " + Printable.word(host) + " flagged it");
        }
    }

    @Override
    public boolean refuses(String user, Instant now) {
        var s = settings;
        return s.flagNetworks() > 0 && !s.flagKeepsGrants() && flags.isFlagged(user, now.toEpochMilli());
    }

    @Override
    public boolean unflag(String user, Instant at) {
        boolean had = flags.unflag(user, at.toEpochMilli());
        flagsChanged |= had; // saved at the round's end, with the flags made in it
        return had;
    }

    @Override
    public boolean on() {
        return settings.rule() != null;
    }

    /**
     * Whether the policy service may answer with the grant's action for a request from {@code ip},
     * whose live grant the user {@code grantUser} earned (null: none now), with envelope sender
     * {@code sender} (null: the request carried none): always without --policy-sender login; else
     * when the sender belongs to a user who logged in from it within the timeout. A mismatch is
     * counted and said at most once a minute per address.
     */
    @Override
    public boolean allows(String ip, String grantUser, String sender) {
        var rule = settings.rule();
        if (rule == null) {
            return true;
        }
        var who = users.usersOfGrant(ip, grantUser, System.currentTimeMillis());
        var why = rule.mismatch(sender, who);
        if (why == null) {
            return true;
        }
        mismatches.increment();
        troubles.say("sender " + ip, ip + ": sender " + (sender == null ? "(none)" : "<" + Printable.word(sender) + ">") + " not bound to "
                + (who.isEmpty() ? "any user" : String.join(", ", who.stream().map(Printable::word).toList())) + ": " + why + "; DUNNO");
        return false;
    }

    /** The shared addresses with a login within {@code window} before {@code now}, and their users: for showallowed. */
    public Map<String, List<String>> sharedNow(Instant now) {
        var out = new TreeMap<String, List<String>>();
        for (var e : new ArrayList<>(shared.entrySet())) {
            var who = users.users(e.getKey(), now.toEpochMilli());
            if (!who.isEmpty()) {
                out.put(e.getKey(), who);
            }
        }
        return out;
    }

    /** The flagged users and when each flag ends. */
    public Map<String, Long> flagged(Instant now) {
        return flags.flagged(now.toEpochMilli());
    }
}
