package org.poplock.readlog.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every built-in definition ships with a fixture log of real and hostile lines, each annotated
 * with the login it must yield ({@code #> IP USER}) or {@code #> none}. Adding a server means
 * adding its definition and its fixtures; this test picks both up from the index.
 */
class ServerFixturesTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);

    /** A fixture line, the login it must give ({@code IP USER} or {@code none}) and, from {@code #@} lines, its time, session or logout. */
    record Case(String server, int lineNo, String line, String expected, Map<String, String> details) {
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureLineGivesItsAnnotatedResult() throws IOException {
        var tests = new ArrayList<DynamicTest>();
        for (var def : ServerDefinition.builtIn()) {
            // All definitions active, as by default; one parser per file, fed in order (two-line servers).
            var parser = new LoginParser(ServerDefinition.builtIn(), CLOCK);
            var cases = fixtures(def.name());
            assertTrue(cases.stream().anyMatch(c -> !c.expected().equals("none")), def.name() + " has no positive fixture");
            assertTrue(cases.stream().anyMatch(c -> c.expected().equals("none")), def.name() + " has no negative fixture");
            for (var c : cases) {
                tests.add(DynamicTest.dynamicTest(c.server() + ".log:" + c.lineNo(), () -> {
                    var login = parser.parse(c.line());
                    var actual = login.map(l -> l.ip() + " " + l.user()).orElse("none");
                    assertEquals(c.expected(), actual, c.line());
                    login.ifPresent(l -> assertEquals(c.server(), l.server()));
                    if (c.details().containsKey("time")) {
                        assertEquals(Instant.parse(c.details().get("time")), login.orElseThrow().time(), "time of " + c.line());
                    }
                    if (c.details().containsKey("session")) {
                        assertEquals(c.details().get("session"), login.orElseThrow().session(), "session of " + c.line());
                    }
                    if (c.details().containsKey("logout")) {
                        assertEquals(java.util.Optional.of(c.details().get("logout")), parser.logout(c.line()), "logout " + c.line());
                    }
                }));
            }
        }
        return tests.stream();
    }

    /** An expression that may end anywhere lets text after the address (a user name, a host name) pose as the rest of a login. */
    @TestFactory
    Stream<DynamicTest> everyExpressionIsAnchoredAtTheEndOfTheLine() {
        var tests = new ArrayList<DynamicTest>();
        for (var def : ServerDefinition.builtIn()) {
            var all = expressions(def);
            for (var p : all) {
                tests.add(DynamicTest.dynamicTest(def.name() + ": " + p.pattern(), () -> assertTrue(
                        p.pattern().endsWith("$") && !p.pattern().endsWith("\\$") && !p.pattern().endsWith("|$)"),
                        def.name() + ": expression does not end with $: " + p.pattern())));
            }
        }
        return tests.stream();
    }

    /** As fail2ban's filter tests: an expression no fixture line exercises is untested, and fails here. */
    @TestFactory
    Stream<DynamicTest> everyExpressionHasAFixtureLineItMatches() throws IOException {
        var stamps = new LogStamps(CLOCK);
        var tests = new ArrayList<DynamicTest>();
        for (var def : ServerDefinition.builtIn()) {
            var messages = fixtures(def.name()).stream().map(c -> stamps.split(c.line()).message()).toList();
            var all = expressions(def);
            for (var p : all) {
                tests.add(DynamicTest.dynamicTest(def.name() + ": " + p.pattern(), () -> assertTrue(
                        messages.stream().anyMatch(m -> p.matcher(m).matches()), def.name() + ": no fixture line for " + p.pattern())));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> everyShorthandMatchesItsExamplesAndNotItsCounterExamples() {
        return ServerDefinition.shorthands().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            var p = java.util.regex.Pattern.compile(e.getValue().expression());
            assertFalse(e.getValue().examples().isEmpty(), e.getKey() + " has no example");
            for (var example : e.getValue().examples()) {
                assertTrue(p.matcher(example).matches(), e.getKey() + " must match [" + example + "]");
            }
            for (var not : e.getValue().counterExamples()) {
                assertFalse(p.matcher(not).matches(), e.getKey() + " must not match [" + not + "]");
            }
        }));
    }

    /** Every expression of a definition: logins, sessions, logouts. */
    private static List<java.util.regex.Pattern> expressions(ServerDefinition def) {
        var all = new ArrayList<java.util.regex.Pattern>();
        all.addAll(def.logins());
        all.addAll(def.sessions());
        all.addAll(def.logouts());
        return all;
    }

    static List<Case> fixtures(String server) throws IOException {
        var name = "servers/" + server + ".log";
        try (InputStream in = ServerFixturesTest.class.getResourceAsStream("/org/poplock/readlog/" + name)) {
            assertNotNull(in, "no fixture file " + name + " for definition " + server);
            var lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1);
            var cases = new ArrayList<Case>();
            String expected = null;
            var details = new java.util.HashMap<String, String>();
            for (int i = 0; i < lines.length; i++) {
                var line = lines[i];
                if (line.startsWith("##") || (line.isEmpty() && i == lines.length - 1)) {
                    continue;
                }
                if (line.startsWith("#> ")) {
                    expected = line.substring(3);
                    continue;
                }
                if (line.startsWith("#@ ")) {
                    int eq = line.indexOf('=');
                    details.put(line.substring(3, eq), line.substring(eq + 1));
                    continue;
                }
                assertNotNull(expected, name + ":" + (i + 1) + " has no #> annotation");
                cases.add(new Case(server, i + 1, line, expected, Map.copyOf(details)));
                expected = null;
                details.clear();
            }
            assertFalse(cases.isEmpty(), name + " is empty");
            return cases;
        }
    }
}
