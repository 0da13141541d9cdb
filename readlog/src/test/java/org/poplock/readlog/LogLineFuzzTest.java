package org.poplock.readlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.poplock.common.address.IpAddress;
import org.poplock.readlog.parse.LogStamps;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.parse.LoginParser;
import org.poplock.readlog.parse.ServerDefinition;

/**
 * The log-line path: lines, one per input line, through {@link LoginParser} with every built-in
 * definition (its {@link LogStamps} first) and {@link LoginPolicy}. Nothing is thrown but the
 * documented IllegalArgumentException of a stamp that is no time; a login comes only from a line whose message matches one of its
 * definition's login expressions whole, with that user and the canonical form of that address (or,
 * for a two-line server, of an earlier session line's); an address is canonical, and one the policy
 * lets through is a client's.
 */
class LogLineFuzzTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);
    private final List<ServerDefinition> definitions = ServerDefinition.builtIn();
    private final LoginPolicy policy = new LoginPolicy(List.of(), Set.of(), Duration.ofMinutes(15));

    @FuzzTest(maxDuration = "10m")
    void logLine(byte[] input) {
        var parser = new LoginParser(definitions, CLOCK);
        var stamps = new LogStamps(CLOCK);
        var sessionAddresses = new HashSet<String>();
        for (var line : new String(input, StandardCharsets.UTF_8).split("\n", -1)) {
            Optional<Login> login;
            try {
                login = parser.parse(line);
                parser.logout(line).ifPresent(session -> assertTrue(definitions.stream().anyMatch(d -> session.startsWith(d.name() + " ")), session));
            } catch (IllegalArgumentException e) {
                // documented: a stamp that is no time (a TAI64N label past the year 9999); the daemon drops the line
                assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), "a reason");
                continue;
            }
            if (line.length() > LoginParser.MAX_LINE) {
                assertTrue(login.isEmpty(), "a login from a line over the limit");
                continue;
            }
            var message = stamps.split(line).message();
            login.ifPresent(l -> check(l, message, sessionAddresses));
            rememberSessions(message, sessionAddresses);
        }
    }

    private void check(Login login, String message, Set<String> sessionAddresses) {
        var bytes = IpAddress.bytesOrNull(login.ip());
        assertTrue(bytes != null && IpAddress.format(bytes).equals(login.ip()), "not canonical: " + login.ip());
        assertFalse(login.user().isEmpty());
        if (policy.refusal(login).isEmpty()) {
            assertNull(IpAddress.notAClient(login.ip()), "the policy let through " + login.ip());
        }
        var def = definitions.stream().filter(d -> d.name().equals(login.server())).findFirst().orElseThrow();
        for (var pattern : def.logins()) {
            var m = pattern.matcher(message);
            if (!m.matches() || !login.user().equals(m.group("user"))) {
                continue;
            }
            if (pattern.pattern().contains("(?<ip>")) {
                if (login.ip().equals(canonicalOrNull(m.group("ip")))) {
                    return;
                }
            } else if (sessionAddresses.contains(login.ip())) {
                return;
            }
        }
        fail("a login (" + login + ") from a message no login expression of " + def.name() + " matches whole with that user and address: "
                + message);
    }

    /** The addresses of every session line so far: a two-line server's login takes its address from one. */
    private void rememberSessions(String message, Set<String> sessionAddresses) {
        for (var def : definitions) {
            for (var pattern : def.sessions()) {
                var m = pattern.matcher(message);
                if (m.matches()) {
                    var ip = canonicalOrNull(m.group("ip"));
                    if (ip != null) {
                        sessionAddresses.add(ip);
                    }
                }
            }
        }
    }

    private static String canonicalOrNull(String text) {
        var bytes = IpAddress.bytesOrNull(text);
        return bytes == null ? null : IpAddress.format(bytes);
    }
}
