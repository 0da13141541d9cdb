package org.poplock.readlog.tcprules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RulesFileTest {

    private static final String BASE = """
            # the admin's rules
            192.0.2.66:deny
            192.0.2.:allow,QMAILQUEUE="/usr/local/bin/scanner"
            10.2-3.:allow,DATABYTES="1000000"
            1.2.3.37-53:allow,RBLSMTPD=""
            joe@192.0.2.10:deny
            =mail.example.org:deny
            127.0.0.1:allow,RELAYCLIENT="@fix.me"
            127.0.0.1:deny
            no colon here is skipped
            :allow
            """;

    private final RulesFile.Lookup rules = RulesFile.parse(BASE, false).lookup();

    private String followed(String ip) {
        return rules.followed(ip).map(r -> r.line() + " " + r.instructions()).orElse("none");
    }

    @Test
    void tcpserverFollowsTheExactAddressThenPrefixesThenTheEmptyRule() {
        assertEquals("2 deny", followed("192.0.2.66"));
        assertEquals("3 allow,QMAILQUEUE=\"/usr/local/bin/scanner\"", followed("192.0.2.10"), "TCPREMOTEINFO rules are never chosen");
        assertEquals("4 allow,DATABYTES=\"1000000\"", followed("10.3.9.9"));
        assertEquals("11 allow", followed("10.4.9.9"));
        assertEquals("5 allow,RBLSMTPD=\"\"", followed("1.2.3.37"));
        assertEquals("5 allow,RBLSMTPD=\"\"", followed("1.2.3.53"));
        assertEquals("11 allow", followed("1.2.3.54"));
        assertEquals("8 allow,RELAYCLIENT=\"@fix.me\"", followed("127.0.0.1"), "the first of two rules for one address");
    }

    @Test
    void rulesReadAsTcprulesReadsThem() {
        var rule = RulesFile.parse("192.0.2.:allow,QMAILQUEUE=/a,b/,X=..  \t\n", false).rules().get(0);
        assertEquals(List.of(new RulesFile.Variable("QMAILQUEUE", "a,b"), new RulesFile.Variable("X", "")), rule.variables());
        assertFalse(rule.deny());
        assertTrue(rule.sets("X"));
        assertEquals(List.of("1.2.3.250", "1.2.3.251", "1.2.3.252", "1.2.3.253", "1.2.3.254", "1.2.3.255"),
                RulesFile.parse("1.2.3.250-300:deny", false).rules().get(0).keys(), "a range's top is capped at 255");
        assertEquals(List.of(), RulesFile.parse("1.2.3.7-5:deny", false).rules().get(0).keys(), "a range downwards is nothing");
        assertEquals(List.of("joe@1.2.3.1-5"), RulesFile.parse("joe@1.2.3.1-5:deny", false).rules().get(0).keys());
    }

    @Test
    void aLineTcprulesWouldRefuseIsNamed() {
        for (var line : List.of("1.2.3.4:", "1.2.3.4:Deny", "1.2.3.4:allowX", "1.2.3.4:allow,X", "1.2.3.4:allow,X=\"a", "1.2.3.4:deny\r",
                "a-b.1.2.3:allow")) {
            var e = assertThrows(IllegalArgumentException.class, () -> RulesFile.parse("# ok\n" + line + "\n", false), line);
            assertTrue(e.getMessage().startsWith("line 2 ("), e.getMessage());
        }
    }

    @Test
    void theIpv6BuildTakesColonsInAddressesAndPrefixes() {
        var v6 = RulesFile.parse("::1:allow,X=\"a:b\"\nfd00:5eed::allow,X=\"net\"\n127.:deny\n:allow\n", true);
        var lookup = v6.lookup();
        assertEquals("::1", lookup.followed("::1").orElseThrow().address());
        assertEquals("fd00:5eed:", lookup.followed("fd00:5eed::25").orElseThrow().address());
        assertEquals("127.", lookup.followed("127.0.0.1").orElseThrow().address());
        assertEquals("", lookup.followed("fd01::1").orElseThrow().address());
        var e = assertThrows(IllegalArgumentException.class, () -> RulesFile.parse("1.2.3.4\n", true));
        assertTrue(e.getMessage().contains("never finishes"), e.getMessage());
    }

    @Test
    void tcpserverWritesIpv6AddressesWithEveryZeroRunCompressed() {
        assertEquals("fd00:5eed::25", TcpserverAddress.of("fd00:5eed::25"));
        assertEquals("::1", TcpserverAddress.of("::1"));
        assertEquals("2001:db8::1:0:0:1", TcpserverAddress.of("2001:db8:0:0:1:0:0:1"), "the first of equal runs");
        assertEquals("2001:db8::1:1:1:1:1", TcpserverAddress.of("2001:db8:0:1:1:1:1:1"), "a single zero group too");
        assertEquals("1::", TcpserverAddress.of("1::"));
        assertEquals("192.0.2.1", TcpserverAddress.of("::ffff:192.0.2.1"));
    }
}
