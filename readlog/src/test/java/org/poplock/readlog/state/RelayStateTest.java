package org.poplock.readlog.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.source.LogPosition;

class RelayStateTest {

    @TempDir
    Path dir;

    private final Instant now = Instant.parse("2026-11-22T12:00:00Z");
    private final Duration timeout = Duration.ofMinutes(15);

    private Login login(String ip, String user, Instant at) {
        return new Login(ip, user, at, "dovecot");
    }

    @Test
    void newerLoginRefreshesOlderNeverShortens() throws IOException {
        try (var state = RelayState.open(dir.resolve("s"))) {
            assertTrue(state.record(login("192.0.2.1", "alice", now.minusSeconds(600)), timeout, now));
            assertTrue(state.record(login("192.0.2.1", "alice", now.minusSeconds(60)), timeout, now), "a newer login refreshes");
            assertFalse(state.record(login("192.0.2.1", "alice", now.minusSeconds(300)), timeout, now), "an older line changes nothing");
            var e = state.live(now).get(0);
            assertEquals(now.minusSeconds(60), e.login());
            assertEquals(now.minusSeconds(60).plus(timeout), e.expiry());
        }
    }

    @Test
    void loginsExpiredByTheirOwnStampAreNotRecorded() throws IOException {
        try (var state = RelayState.open(dir.resolve("s"))) {
            assertFalse(state.record(login("192.0.2.1", "old", now.minus(Duration.ofMinutes(16))), timeout, now));
            assertEquals(List.of(), state.live(now));
        }
    }

    @Test
    void stampFromTheFutureCountsAsNow() throws IOException {
        try (var state = RelayState.open(dir.resolve("s"))) {
            state.record(login("192.0.2.1", "alice", now.plus(Duration.ofDays(1))), timeout, now);
            assertEquals(now.plus(timeout), state.live(now).get(0).expiry());
        }
    }

    @Test
    void sweepRemovesExpiredAndNextExpiryFollows() throws IOException {
        try (var state = RelayState.open(dir.resolve("s"))) {
            state.record(login("192.0.2.1", "a", now.minusSeconds(800)), timeout, now);
            state.record(login("192.0.2.2", "b", now.minusSeconds(100)), timeout, now);
            assertEquals(now.minusSeconds(800).plus(timeout), state.nextExpiry().orElseThrow());
            var later = now.plusSeconds(200);
            assertEquals(1, state.sweep(later));
            assertEquals(List.of("192.0.2.2"), state.live(later).stream().map(e -> e.ip()).toList());
            assertEquals(now.minusSeconds(100).plus(timeout), state.nextExpiry().orElseThrow());
        }
    }

    @Test
    void entriesAndPositionsSurviveReopening() throws IOException {
        var file = dir.resolve("s");
        try (var state = RelayState.open(file)) {
            state.record(login("2001:db8::1", "bob", now), timeout, now);
            state.savePositions("/var/log/mail.log", List.of(new LogPosition(42, 7, 1234, 99), new LogPosition(41, 6, 999, 98)));
            state.commit();
        }
        try (var state = RelayState.open(file)) {
            assertEquals("bob", state.live(now).get(0).user());
            assertEquals(List.of(new LogPosition(42, 7, 1234, 99), new LogPosition(41, 6, 999, 98)), state.positions("/var/log/mail.log"));
        }
    }

    @Test
    void secondOpenOfTheSameStateIsRefused() throws IOException {
        var file = dir.resolve("s");
        try (var state = RelayState.open(file)) {
            var e = assertThrows(IOException.class, () -> RelayState.open(file));
            assertTrue(e.getMessage().contains("in use by another readlog (pid " + ProcessHandle.current().pid() + ")"), e.getMessage());
        }
    }

    @Test
    void aStateMapDbCannotOpenIsMovedAsideAndANewOneStarted() throws IOException {
        var file = dir.resolve("s");
        java.nio.file.Files.write(file, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17});
        var warnings = new java.util.ArrayList<String>();
        try (var state = RelayState.open(file, warnings::add)) {
            assertTrue(state.record(login("192.0.2.1", "alice", now), timeout, now));
            state.commit();
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("moved to " + file + ".broken-"), warnings.toString());
        try (var files = java.nio.file.Files.list(dir)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("s.broken-")));
        }
        try (var state = RelayState.open(file)) {
            assertEquals("alice", state.live(now).get(0).user());
        }
    }

    @Test
    void aDamagedStateIsSetAsideWithWhyItCannotBeRead() throws IOException {
        var file = dir.resolve("s");
        java.nio.file.Files.writeString(file, "not a state at all, and long enough to be looked at ".repeat(20));
        var said = new java.util.ArrayList<String>();
        try (var state = RelayState.open(file, said::add)) {
            assertEquals(0, state.size());
        }
        assertEquals(1, said.size(), said.toString());
        assertTrue(said.get(0).matches("state " + java.util.regex.Pattern.quote(file.toString())
                + " cannot be read \\(.+\\); moved to .*s\\.broken-\\d+, starting a new one and reading the logs again"), said.get(0));
    }

    @Test
    void aStateThatCannotBeReadForAnIoErrorIsTriedAgainAndLeftWhereItIs() throws IOException {
        var file = java.nio.file.Files.createDirectory(dir.resolve("s")); // reading it fails with EISDIR, as with EIO: no damage
        var said = new java.util.ArrayList<String>();
        var e = assertThrows(IOException.class, () -> RelayState.open(file, said::add));
        assertEquals("cannot read state " + file + ": Is a directory (tried 3 times; it is left as it is)", e.getMessage());
        assertEquals(List.of(), said);
        assertTrue(java.nio.file.Files.isDirectory(file));
        try (var siblings = java.nio.file.Files.list(dir)) {
            assertEquals(List.of(), siblings.filter(p -> p.getFileName().toString().contains("broken")).toList());
        }
    }

    @Test
    void aLockThatCannotBeWrittenIsLetGoNotLeaked() throws IOException {
        var state = dir.resolve("s");
        var full = Path.of("/dev/full");
        java.nio.file.Files.createSymbolicLink(org.poplock.common.store.DatabaseLayout.lockOf(state), full);
        long before = descriptorsOn(full);
        var e = assertThrows(IOException.class, () -> StateLock.acquire(state));
        assertTrue(e.getMessage().startsWith("cannot write the lock "), e.getMessage());
        assertEquals(before, descriptorsOn(full), "the lock's descriptor is closed");
    }

    private static long descriptorsOn(Path file) throws IOException {
        try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return java.nio.file.Files.readSymbolicLink(fd).equals(file);
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }
}
