package org.poplock.readlog.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The session ids --keep-while-connected follows, on lines captured from Dovecot 2.3.19. */
class SessionTest {

    private final LoginParser parser = new LoginParser(ServerDefinition.builtIn(),
            Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC));

    @Test
    void loginAndLogoutNameTheSameSession() {
        var login = parser.parse("Nov 22 05:08:11 imap-login: Info: Login: user=<bob>, method=PLAIN, rip=::1, lip=::1, mpid=18549, "
                + "secured, session=<M0e+dtZgfsUAAAAAAAAAAAAAAAAAAAAB>").orElseThrow();
        assertEquals("dovecot M0e+dtZgfsUAAAAAAAAAAAAAAAAAAAAB", login.session());
        assertEquals(Optional.of("dovecot M0e+dtZgfsUAAAAAAAAAAAAAAAAAAAAB"),
                parser.logout("Nov 22 05:08:11 imap(bob)<18549><M0e+dtZgfsUAAAAAAAAAAAAAAAAAAAAB>: Info: Disconnected: Logged out in=27 out=556"));
        assertEquals(Optional.of("dovecot 49y9dtZgvMJ/AAAB"),
                parser.logout("2026-11-22T05:08:11+00:00 mail dovecot: pop3(alice)<18546><49y9dtZgvMJ/AAAB>: Disconnected: Logged out top=0/0"));
    }

    @Test
    void loginsWithoutASessionStillCountAndOtherLinesEndNothing() {
        assertNull(parser.parse("Nov  2 09:54:53 oldmail dovecot: pop3-login: Login: user=<frank>, method=PLAIN, "
                + "rip=::ffff:198.51.100.4, lip=::ffff:192.0.2.1").orElseThrow().session());
        assertEquals(Optional.empty(), parser.logout("Nov 22 05:08:13 pop3-login: Info: Disconnected: Connection closed "
                + "(auth failed, 1 attempts in 2 secs): user=<alice>, method=PLAIN, rip=127.0.1.2, lip=127.0.0.1, session=<U5C+dtZgKpt/AAEC>"));
        assertEquals(Optional.empty(), parser.logout("Nov 22 05:08:13 mail sendmail[1]: pop3(x)<1><abc>: Disconnected"));
    }

    @Test
    void courierNamesASessionByAddressAndPortInItsLoginAndItsLogout() {
        // Lines captured from Courier 1.0.16 (courierpop3d, imapd) under tcpserver.
        var pop = parser.parse("INFO: LOGIN, user=alice, ip=[127.0.0.1], port=[33450]").orElseThrow();
        assertEquals("courier ip=[127.0.0.1], port=[33450]", pop.session());
        assertEquals(Optional.of(pop.session()),
                parser.logout("INFO: LOGOUT, user=alice, ip=[127.0.0.1], port=[33450], top=0, retr=0, rcvd=12, sent=88, time=0"));
        var imap = parser.parse("INFO: LOGIN, user=alice, ip=[127.0.0.1], port=[46082], protocol=IMAP").orElseThrow();
        assertEquals(Optional.of(imap.session()),
                parser.logout("INFO: DISCONNECTED, user=alice, ip=[127.0.0.1], port=[46082], headers=0, body=0, rcvd=0, sent=20, time=0"));
        // Through syslog, v4-mapped as Courier's own listener logs it.
        var syslog = parser.parse("Nov 22 04:10:01 mail courierpop3login: LOGIN, user=alice, ip=[::ffff:127.0.0.1], port=[38520]").orElseThrow();
        assertEquals(Optional.of(syslog.session()), parser.logout("Nov 22 04:11:03 mail courierpop3login: LOGOUT, user=alice, "
                + "ip=[::ffff:127.0.0.1], port=[38520], top=0, retr=0, rcvd=12, sent=46, time=0"));
    }

    @Test
    void aCourierUserNameCannotNameAnotherSession() {
        var login = parser.parse("INFO: LOGIN, user=x, ip=[192.0.2.66], port=[1], ip=[127.0.0.1], port=[40000]").orElseThrow();
        assertEquals("127.0.0.1", login.ip());
        assertEquals("courier ip=[127.0.0.1], port=[40000]", login.session());
        assertEquals(Optional.of("courier ip=[127.0.0.1], port=[40000]"), parser.logout(
                "INFO: LOGOUT, user=x, ip=[192.0.2.66], port=[1], top=0, ip=[127.0.0.1], port=[40000], top=0, retr=0, rcvd=1, sent=1, time=0"));
        assertNull(parser.parse("INFO: LOGIN, user=alice, ip=[192.0.2.3]").orElseThrow().session(), "no port, no session");
    }
}
