package org.poplock.readlog.policy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.poplock.common.address.IpAddress;
import org.poplock.common.address.Printable;
import org.poplock.readlog.budget.Budget;

/**
 * A whole policy request to its answer, with no I/O: a client address (canonical: {@code
 * ::ffff:1.2.3.4} is {@code 1.2.3.4}) with a live grant, its expiry checked at the moment of
 * asking, gets {@code action=} the configured action, any other {@code action=DUNNO}; a request
 * that is not {@code smtpd_access_policy} gets no answer and a line of trouble. What a later rule
 * (the sender a grant is bound to, a budget) needs of the request is in {@link PolicyRequest}.
 */
public final class PolicyAnswers {

    /** An answer's bytes, or null with the trouble ({@code kind}, {@code line}) that closes the connection without one. */
    public record Answer(byte[] reply, String kind, String line) {
    }

    private final LiveTable table;
    /** The recipient budgets; null: none. */
    private final Budget budget;
    private final Answer granted;
    private final Answer dunno;
    private final LongSupplier clock;
    private final LongAdder grantedCount = new LongAdder();
    private final LongAdder dunnoCount = new LongAdder();
    /** Whether a live grant's address may relay with a request's envelope sender. */
    public interface SenderCheck {
        /** Whether senders are checked at all: when not, the grant's user is not even decoded. */
        boolean on();

        /** Whether {@code ip}, whose live grant {@code grantUser} earned (null: none now), may relay with {@code sender} (null: none was sent). */
        boolean allows(String ip, String grantUser, String sender);
    }

    private static final SenderCheck ANY_SENDER = new SenderCheck() {
        @Override
        public boolean on() {
            return false;
        }

        @Override
        public boolean allows(String ip, String grantUser, String sender) {
            return true;
        }
    };

    private volatile SenderCheck senderCheck = ANY_SENDER;

    /** {@code action} for a live grant within {@code budget} (null: none); {@code clock} in milliseconds since the epoch. */
    public PolicyAnswers(LiveTable table, Budget budget, String action, LongSupplier clock) {
        this.table = table;
        this.budget = budget;
        this.granted = reply(action);
        this.dunno = reply("DUNNO");
        this.clock = clock;
    }

    private static Answer reply(String action) {
        return new Answer(("action=" + action + "\n\n").getBytes(StandardCharsets.UTF_8), null, null);
    }

    public Answer answer(PolicyRequest request) {
        if (request.request() == null) {
            return new Answer(null, "no request", "a client sent a request without request=; closed");
        }
        if (!request.request().equals("smtpd_access_policy")) {
            return new Answer(null, "other request", "a client asked request=" + Printable.of(request.request())
                    + ", not smtpd_access_policy; closed");
        }
        var client = request.clientAddress();
        var ip = client == null ? null : IpAddress.bytesOrNull(client);
        var canonical = ip == null ? null : IpAddress.format(ip);
        long now = clock.getAsLong();
        var check = senderCheck;
        boolean perUser = budget != null && budget.perUser();
        boolean live = ip != null && table.isLive(canonical, now);
        // The grant's user, decoded once for whichever asks: the sender check and a budget per user.
        var user = live && (check.on() || perUser) ? table.user(canonical) : null;
        live = live && (!check.on() || check.allows(canonical, user, request.sender()));
        if (live && budget != null) {
            var over = budget.check(canonical, perUser ? user : null, request.protocolState(), request.instance(), now);
            if (over != null) {
                return reply(over);
            }
        }
        (live ? grantedCount : dunnoCount).increment();
        return live ? granted : dunno;
    }

    /** From now on a live grant's action needs {@code check} to accept the request's address and sender. */
    public void senderCheck(SenderCheck check) {
        this.senderCheck = check;
    }

    /** Requests answered with the grant's action. */
    public long granted() {
        return grantedCount.sum();
    }

    /** Requests answered DUNNO (no live grant). */
    public long notGranted() {
        return dunnoCount.sum();
    }
}
