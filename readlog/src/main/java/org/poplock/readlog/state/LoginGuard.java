package org.poplock.readlog.state;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.poplock.common.store.RelayEntry;

/** What a login from an address earns beyond the timeout's rule: the shared-address and stolen-password checks. */
public interface LoginGuard {

    /**
     * How long the grant of {@code user}'s login from {@code ip} at {@code loginTime} lasts (up to {@code timeout}): less
     * (or zero) caps the address's grant too; null: this login grants nothing and changes nothing.
     */
    Duration grantFor(String ip, String user, Instant loginTime, Duration timeout, Instant now);

    /**
     * A user flagged as a stolen password until {@code until}; {@code endsGrants}: the user's
     * grants end now; {@code here}: this host flagged the user (the other hosts are told), else it
     * followed another host's flag.
     */
    record Flag(String user, Instant until, boolean endsGrants, boolean here) {
    }

    /**
     * The users flagged since the last call (by a login, by the networks other hosts' grants add,
     * by another host's flag), and the flags saved if they changed: once a round, so a flood of
     * flags costs one pass over the grants, not one each.
     */
    List<Flag> takeFlagged(Instant now);

    /** Every entry that enters the grants: a login, an admin's grant, another host's. */
    void entered(RelayEntry entry);

    /** Another host flagged {@code user} at {@code at} until {@code until}: flagged here too when flags are on (taken with {@link #takeFlagged}). */
    void flaggedElsewhere(String user, Instant until, String host, Instant at, Instant now);

    /** Whether another host's grant of {@code user} is refused here: the user is flagged and flags end grants. */
    boolean refuses(String user, Instant now);

    /** The admin lifts a user's flag at {@code at} (here or on another host); returns whether there was one. */
    boolean unflag(String user, Instant at);

    LoginGuard NONE = new LoginGuard() {
        @Override
        public Duration grantFor(String ip, String user, Instant loginTime, Duration timeout, Instant now) {
            return timeout;
        }

        @Override
        public List<Flag> takeFlagged(Instant now) {
            return List.of();
        }

        @Override
        public void flaggedElsewhere(String user, Instant until, String host, Instant at, Instant now) {
        }

        @Override
        public boolean refuses(String user, Instant now) {
            return false;
        }

        @Override
        public void entered(RelayEntry entry) {
        }

        @Override
        public boolean unflag(String user, Instant at) {
            return false;
        }
    };
}
