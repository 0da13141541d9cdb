package org.poplock.readlog.socketmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.poplock.readlog.policy.LiveTable;
import org.poplock.readlog.state.UnsavedGrants;

class SocketmapCodecTest {

    private static SocketmapCodec.Decoded decode(String text) {
        var b = text.getBytes(StandardCharsets.ISO_8859_1);
        return SocketmapCodec.decode(b, b.length);
    }

    @Test
    void aWholeRequestIsItsMapAndKeyAndTheBytesItTook() {
        var d = decode("21:drac IPv6:2001:db8::7,13:drac 192.0.2");
        assertEquals(new SocketmapCodec.Request("drac", "IPv6:2001:db8::7"), d.request());
        assertEquals(25, d.consumed());
        assertNull(d.trouble());
    }

    @Test
    void everyBeginningOfARequestAsksForMore() {
        var whole = "14:drac 192.0.2.7,";
        for (int n = 0; n < whole.length(); n++) {
            assertSame(SocketmapCodec.MORE, decode(whole.substring(0, n)), "the first " + n + " bytes");
        }
    }

    @Test
    void whatIsNoRequestIsTrouble() {
        assertEquals("not a netstring", decode("x").trouble());
        assertEquals("not a netstring", decode(":drac 1,").trouble());
        assertEquals("not a netstring (a length with a leading zero)", decode("014:drac 192.0.2.7,").trouble());
        assertEquals("not a netstring (no comma after its text)", decode("14:drac 192.0.2.7;").trouble());
        assertEquals("a request over 1024 bytes", decode("1025:").trouble());
        assertEquals("a request over 1024 bytes", decode("99999").trouble());
        assertEquals("a request that is not MAPNAME KEY", decode("4:drac,").trouble());
        assertEquals("a request that is not MAPNAME KEY", decode("5: drac,").trouble());
        assertEquals("a request that is not printable text", decode("6:drac \n,").trouble());
        assertEquals("a request that is not printable text", decode("6:drac \u00e9,").trouble());
    }

    @Test
    void anEmptyKeyIsARequest() {
        assertEquals(new SocketmapCodec.Request("drac", ""), decode("5:drac ,").request());
    }

    @Test
    void keysInEveryFormSendmailAndPostfixSendNameTheCanonicalAddress() {
        assertEquals("192.0.2.7", SocketmapCodec.address("192.0.2.7"));
        assertEquals("192.0.2.7", SocketmapCodec.address("Connect:192.0.2.7"));
        assertEquals("192.0.2.7", SocketmapCodec.address("connect:192.0.2.7"));
        assertEquals("192.0.2.7", SocketmapCodec.address("::ffff:192.0.2.7"));
        assertEquals("192.0.2.7", SocketmapCodec.address("IPv6:::ffff:192.0.2.7"));
        assertEquals("2001:db8::7", SocketmapCodec.address("IPv6:2001:db8::7"));
        assertEquals("2001:db8::7", SocketmapCodec.address("ipv6:2001:DB8:0:0:0:0:0:7"));
        assertEquals("2001:db8::7", SocketmapCodec.address("Connect:IPv6:2001:db8::7"));
        assertEquals("2001:db8::7", SocketmapCodec.address("2001:db8::7"));
        assertNull(SocketmapCodec.address("IPv6:"));
        assertNull(SocketmapCodec.address("mail.example.com"));
        assertNull(SocketmapCodec.address("[192.0.2.7]"));
        assertNull(SocketmapCodec.address("IPv6:IPv6:2001:db8::7"));
    }

    @Test
    void repliesAreNetstrings() {
        assertArrayEquals("8:OK RELAY,".getBytes(StandardCharsets.US_ASCII), SocketmapCodec.found("RELAY"));
        assertArrayEquals("9:NOTFOUND ,".getBytes(StandardCharsets.US_ASCII), SocketmapCodec.notFound());
        assertArrayEquals("20:PERM not a netstring,".getBytes(StandardCharsets.US_ASCII), SocketmapCodec.perm("not a netstring"));
    }

    @Test
    void aLiveGrantIsFoundWithTheValueInEveryFormAndAnExpiredOneIsNot() {
        var grants = UnsavedGrants.of();
        var now = Instant.now();
        grants.grant("192.0.2.7", "alice", now, Duration.ofMinutes(15));
        grants.grant("2001:db8::7", "bob", now, Duration.ofMinutes(15));
        var answers = new SocketmapAnswers(new LiveTable(grants), "RELAY", now::toEpochMilli);
        var found = SocketmapCodec.found("RELAY");
        assertArrayEquals(found, answers.answer(new SocketmapCodec.Request("drac", "192.0.2.7")));
        assertArrayEquals(found, answers.answer(new SocketmapCodec.Request("other", "Connect:192.0.2.7")));
        assertArrayEquals(found, answers.answer(new SocketmapCodec.Request("drac", "IPv6:2001:db8::7")));
        assertArrayEquals(SocketmapCodec.notFound(), answers.answer(new SocketmapCodec.Request("drac", "192.0.2.8")));
        assertArrayEquals(SocketmapCodec.notFound(), answers.answer(new SocketmapCodec.Request("drac", "alice")));
        assertEquals(3, answers.found());
        assertEquals(2, answers.notFound());
        var later = new SocketmapAnswers(new LiveTable(grants), "RELAY", () -> now.plus(Duration.ofMinutes(16)).toEpochMilli());
        assertArrayEquals(SocketmapCodec.notFound(), later.answer(new SocketmapCodec.Request("drac", "192.0.2.7")), "expired");
    }
}
