package org.poplock.readlog.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
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
import org.poplock.readlog.parse.LoginParser;
import org.poplock.readlog.parse.ServerDefinition;

/**
 * Like the servers' fixture logs: every entry of {@code journal/entries.export} is annotated with
 * what readlog must make of it, and goes the way a journal entry goes in readlog: the export
 * format read, the sender checked by {@link JournalTrust}, the line parsed by the definitions.
 */
class JournalFixturesTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
    /** As the system's user database would say; the test host need not have Dovecot's users. */
    private static final Map<String, Integer> USERS = Map.of("dovecot", 105, "dovenull", 106, "courier", 107);

    record Case(int lineNo, String expected, String entry) {
    }

    @TestFactory
    Stream<DynamicTest> everyEntryGivesItsAnnotatedResult() throws IOException {
        var definitions = ServerDefinition.builtIn();
        var trust = new JournalTrust(definitions, user -> USERS.getOrDefault(user, -1));
        var parser = new LoginParser(definitions, CLOCK);
        var cases = cases();
        assertTrue(cases.stream().anyMatch(c -> c.expected().startsWith("untrusted")), "no forged entry");
        assertTrue(cases.stream().anyMatch(c -> c.expected().matches("[0-9a-f].*")), "no trusted login");
        var tests = new ArrayList<DynamicTest>();
        for (var c : cases) {
            tests.add(DynamicTest.dynamicTest("entries.export:" + c.lineNo() + " " + c.expected(), () -> {
                var entry = new ExportFormat(new ByteArrayInputStream(c.entry().getBytes(StandardCharsets.UTF_8))).next();
                assertNotNull(entry, "no entry at line " + c.lineNo());
                var verdict = trust.check(entry);
                var login = verdict == null ? java.util.Optional.<org.poplock.readlog.parse.Login>empty() : parser.parse(verdict.line());
                var actual = login.map(l -> (verdict.untrusted() == null ? "" : "untrusted ") + l.ip() + " " + l.user()).orElse("none");
                assertEquals(c.expected(), actual, verdict == null ? "no line" : verdict.line());
                login.ifPresent(l -> assertEquals(entry.time(), l.time(), "the entry's own time is the login's"));
            }));
        }
        return tests.stream();
    }

    private static List<Case> cases() throws IOException {
        List<String> lines;
        try (var in = JournalFixturesTest.class.getResourceAsStream("/org/poplock/readlog/journal/entries.export")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        var out = new ArrayList<Case>();
        String expected = null;
        int start = 0;
        var entry = new StringBuilder();
        for (int i = 0; i <= lines.size(); i++) {
            var line = i < lines.size() ? lines.get(i) : "";
            if (line.startsWith("#> ")) {
                expected = line.substring(3);
                start = i + 1;
            } else if (line.startsWith("#")) {
                continue;
            } else if (line.isEmpty()) {
                if (entry.length() > 0) {
                    out.add(new Case(start + 1, expected, entry.append('\n').toString()));
                    entry.setLength(0);
                    expected = null;
                }
            } else {
                if (expected == null) {
                    throw new IllegalStateException("entries.export line " + (i + 1) + ": an entry without a #> line");
                }
                entry.append(line).append('\n');
            }
        }
        return out;
    }
}
