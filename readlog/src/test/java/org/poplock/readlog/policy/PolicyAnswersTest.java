package org.poplock.readlog.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.poplock.readlog.state.UnsavedGrants;

/** A whole request to its answer, without a socket: what a later rule (sender binding, budgets) builds on. */
class PolicyAnswersTest {

    private final Instant now = Instant.parse("2026-12-01T10:00:00Z");

    private PolicyAnswers answers() {
        var grants = UnsavedGrants.of();
        grants.grant("192.0.2.7", "alice", now, Duration.ofMinutes(15));
        return new PolicyAnswers(new LiveTable(grants), null, "PERMIT", () -> now.plusSeconds(60).toEpochMilli());
    }

    private static PolicyRequest request(String request, String client) {
        var b = new PolicyRequest.Builder();
        b.take("request", request, request.length());
        b.take("client_address", client, client.length());
        return b.build();
    }

    private static String reply(PolicyAnswers.Answer a) {
        return a.reply() == null ? a.kind() : new String(a.reply(), StandardCharsets.UTF_8);
    }

    @Test
    void aLiveGrantGetsTheActionInAnyLiteralFormAndAnyOtherAddressDunno() {
        var answers = answers();
        assertEquals("action=PERMIT\n\n", reply(answers.answer(request("smtpd_access_policy", "192.0.2.7"))));
        assertEquals("action=PERMIT\n\n", reply(answers.answer(request("smtpd_access_policy", "::ffff:192.0.2.7"))));
        assertEquals("action=DUNNO\n\n", reply(answers.answer(request("smtpd_access_policy", "192.0.2.8"))));
        assertEquals("action=DUNNO\n\n", reply(answers.answer(request("smtpd_access_policy", "not an address"))));
        assertEquals(2, answers.granted());
        assertEquals(2, answers.notGranted());
    }

    @Test
    void anotherRequestOrNoneGetsNoAnswer() {
        var answers = answers();
        assertEquals("other request", reply(answers.answer(request("junk", "192.0.2.7"))));
        assertEquals("no request", reply(answers.answer(new PolicyRequest.Builder().build())));
    }

    @Test
    void theKeptAttributesAreBoundedAndTheBuilderStartsAfresh() {
        var b = new PolicyRequest.Builder();
        b.take("sender", "a@example.com", 13);
        b.take("recipient", "r".repeat(PolicyRequest.MAX_VALUE + 1), PolicyRequest.MAX_VALUE + 1);
        b.take("sasl_username", "alice", 5);
        b.take("helo_name", "forgotten", 9);
        var r = b.build();
        assertEquals("a@example.com", r.sender());
        assertNull(r.recipient(), "a value over the bound is kept as absent");
        assertEquals("alice", r.saslUsername());
        assertEquals(new PolicyRequest(null, null, null, null, null, null, null), b.build());
    }
}
