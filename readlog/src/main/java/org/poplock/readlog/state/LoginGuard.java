package org.poplock.readlog.state;

import java.time.Duration;
import java.time.Instant;
import org.poplock.common.store.RelayEntry;

/** What a login from an address earns beyond the timeout's rule: the shared-address and stolen-password checks. */
public interface LoginGuard {

    /**
     * How long the grant of {@code user}'s login from {@code ip} at {@code loginTime} lasts (up to {@code timeout}): less
     * (or zero) caps the address's grant too; null: this login grants nothing and changes nothing.
     */
    Duration grantFor(String ip, String user, Instant loginTime, Duration timeout, Instant now);

    /** A user whose grants must end now (just flagged), or null. */
    String takeEnded();

    /** Every entry that enters the grants: a login, an admin's grant, another host's. */
    void entered(RelayEntry entry);

    /** The admin lifts a user's flag; returns whether there was one. */
    boolean unflag(String user);

    LoginGuard NONE = new LoginGuard() {
        @Override
        public Duration grantFor(String ip, String user, Instant loginTime, Duration timeout, Instant now) {
            return timeout;
        }

        @Override
        public String takeEnded() {
            return null;
        }

        @Override
        public void entered(RelayEntry entry) {
        }

        @Override
        public boolean unflag(String user) {
            return false;
        }
    };
}
