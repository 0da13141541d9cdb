package org.poplock.readlog.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tail -F cases on real files: rotation, copytruncate, recreate, partial lines, resume. */
class LogFollowerTest {

    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();
    private long nanos;

    /** The positions a follower saves after reading {@code first}, the first line of {@code log}, and stopping. */
    private List<LogPosition> positionsAfterReading(Path log, String first) throws IOException {
        var f = following(log, first);
        var saved = f.positions();
        f.close();
        return saved;
    }

    /** A follower on {@code log} that has read its first line, {@code first}, already. */
    private LogFollower following(Path log, String first) throws IOException {
        append(log, first + "\n");
        var f = follower(log, List.of());
        assertEquals(List.of(first), poll(f));
        return f;
    }

    private LogFollower follower(Path log, List<LogPosition> saved) {
        return new LogFollower(log, saved, Duration.ofSeconds(60), warnings::add, () -> nanos);
    }

    private List<String> poll(LogFollower f) {
        var lines = new ArrayList<String>();
        f.poll(lines::add);
        return lines;
    }

    private static void append(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void aLogThatCannotBeOpenedIsSaidWithItsCauseOnceAMinuteWhileItLasts() throws IOException {
        // Root opens any regular file; a write-only sysctl is refused to root too, as a mail log
        // of group adm is refused to a readlog outside adm.
        var refused = Path.of("/proc/sys/vm/drop_caches");
        boolean available = Files.exists(refused) && !Files.isReadable(refused);
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(available, "CI runs every test: needs " + refused + ", which nobody may read");
        }
        assumeTrue(available, "needs a file this user may not read");
        var f = new LogFollower(refused, List.of(), Duration.ofSeconds(60), warnings::add, () -> nanos);
        poll(f);
        assertEquals(List.of("cannot open " + refused + ": Permission denied; no login is recorded from it until it can be read"), warnings);
        assertEquals("cannot open " + refused + ": Permission denied", f.problem());
        nanos += Duration.ofSeconds(30).toNanos();
        poll(f);
        assertEquals(1, warnings.size(), "once a minute, not on every poll: " + warnings);
        nanos += Duration.ofSeconds(31).toNanos();
        poll(f);
        assertEquals(2, warnings.size(), "again while it lasts: " + warnings);
        assertTrue(warnings.get(1).startsWith("cannot open " + refused + ": Permission denied") && warnings.get(1).contains("(1 more of these"),
                warnings.get(1));
        f.close();
    }

    @Test
    void aReadableLogHasNoProblem() throws IOException {
        var log = dir.resolve("log");
        var f = following(log, "a");
        assertNull(f.problem());
        f.close();
    }

    @Test
    void partialLastLineWaitsForItsNewline() throws IOException {
        var log = dir.resolve("log");
        append(log, "one\ntw");
        var f = follower(log, List.of());
        assertEquals(List.of("one"), poll(f));
        assertEquals(List.of(), poll(f));
        append(log, "o\r\nthree\n");
        assertEquals(List.of("two", "three"), poll(f));
    }

    @Test
    void renameRotationFinishesTheOldFileFirst() throws IOException {
        var log = dir.resolve("log");
        var f = following(log, "a");
        append(log, "b\n");
        Files.move(log, dir.resolve("log.1"));
        append(log, "c\n");
        assertEquals(List.of("b", "c"), poll(f));
        append(log, "d\n");
        assertEquals(List.of("d"), poll(f));
    }

    @Test
    void copytruncateStartsAgainAtZero() throws IOException {
        var log = dir.resolve("log");
        var f = following(log, "first line that is long");
        Files.copy(log, dir.resolve("log.1"));
        Files.writeString(log, "x\n"); // truncated and written again, shorter than our position
        assertEquals(List.of("x"), poll(f));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("truncated")), warnings.toString());
    }

    @Test
    void fileThatAppearsLaterAndIsDeletedAndRecreated() throws IOException {
        var log = dir.resolve("log");
        var f = follower(log, List.of());
        assertEquals(List.of(), poll(f));
        assertEquals(List.of(), poll(f));
        assertEquals(1, warnings.size(), "said once: " + warnings);
        append(log, "born\n");
        assertEquals(List.of("born"), poll(f));
        Files.delete(log);
        assertEquals(List.of(), poll(f));
        append(log, "again\n");
        assertEquals(List.of("again"), poll(f));
    }

    @Test
    void resumesAtASavedPositionOnlyInTheSameFile() throws IOException {
        var log = dir.resolve("log");
        append(log, "old\n");
        var f = follower(log, List.of());
        poll(f);
        var saved = f.positions().get(0);
        append(log, "new\n");
        assertEquals(List.of("new"), poll(follower(log, List.of(saved))));
        var otherFile = new LogPosition(saved.inode() + 1, saved.firstLineHash(), saved.offset(), saved.tailHash());
        assertEquals(List.of("old", "new"), poll(follower(log, List.of(otherFile))));
        // The same inode with another first line: the old file was deleted and its inode reused.
        var reused = new LogPosition(saved.inode(), saved.firstLineHash() + 1, saved.offset(), saved.tailHash());
        assertEquals(List.of("old", "new"), poll(follower(log, List.of(reused))));
        // The same inode and first line, other bytes before the offset: rewritten meanwhile.
        var rewritten = new LogPosition(saved.inode(), saved.firstLineHash(), saved.offset(), saved.tailHash() + 1);
        assertEquals(List.of("old", "new"), poll(follower(log, List.of(rewritten))));
    }

    @Test
    void hostileBytesDoNotStopFollowing() throws IOException {
        var log = dir.resolve("log");
        var huge = "x".repeat(LineSplitter.MAX_LINE + 10);
        Files.write(log, ("before\n" + huge + "\nnul\0byte\n").getBytes(StandardCharsets.UTF_8));
        Files.write(log, new byte[] {(byte) 0xff, (byte) 0xfe, 'z', '\n'}, StandardOpenOption.APPEND);
        var f = follower(log, List.of());
        assertEquals(List.of("before", "nul\0byte", "\ufffd\ufffdz"), poll(f));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("longer than")), warnings.toString());
    }

    @Test
    void directoryIsReportedNotFollowed() throws IOException {
        var f = follower(dir, List.of());
        assertEquals(List.of(), poll(f));
        assertTrue(warnings.get(0).contains("is a directory"), warnings.toString());
    }

    @Test
    void aRenamedFileIsStillReadUntilItHasBeenQuietForTheRotateWait() throws IOException {
        var log = dir.resolve("log");
        var old = dir.resolve("log.1");
        var f = following(log, "a");
        Files.move(log, old);
        append(log, "new file\n");
        assertEquals(List.of("new file"), poll(f));
        // The server has not reopened its log yet: its lines still go to the renamed file.
        nanos += Duration.ofSeconds(2).toNanos();
        append(old, "late login\n");
        assertEquals(List.of("late login"), poll(f));
        nanos += Duration.ofSeconds(59).toNanos();
        append(old, "later still\n");
        assertEquals(List.of("later still"), poll(f), "each line written to it restarts the wait");
        nanos += Duration.ofSeconds(60).toNanos();
        assertEquals(List.of(), poll(f));
        append(old, "after a minute of quiet\n");
        append(log, "b\n");
        assertEquals(List.of("b"), poll(f), "let go after the rotate wait");
    }

    @Test
    void aDeletedFileIsStillReadWhileTheServerHoldsIt() throws IOException {
        var log = dir.resolve("log");
        append(log, "a\n");
        var f = follower(log, List.of());
        try (var server = Files.newBufferedWriter(log, StandardOpenOption.APPEND)) {
            assertEquals(List.of("a"), poll(f));
            Files.delete(log);
            assertEquals(List.of(), poll(f));
            server.write("written after the delete\n");
            server.flush();
            assertEquals(List.of("written after the delete"), poll(f));
        }
    }

    @Test
    void copytruncateIsSeenWhenTheNewContentHasReachedTheOldSize() throws IOException {
        var log = dir.resolve("log");
        var f = following(log, "line one of the old file");
        Files.copy(log, dir.resolve("log.1"));
        // Truncated and written again to exactly the old size, then past it: by size alone nothing happened.
        Files.writeString(log, "new login, same length!!\n");
        assertEquals(List.of("new login, same length!!"), poll(f));
        Files.copy(log, dir.resolve("log.2"));
        Files.writeString(log, "a longer line than the one before it\nand one more\n");
        assertEquals(List.of("a longer line than the one before it", "and one more"), poll(f),
                "read from the start, never from the middle of a line");
    }

    /** A log that starts with the same line after every truncation (a banner): only the bytes before our offset tell. */
    @Test
    void copytruncateIsSeenWhenTheFirstLineIsTheSameAsBefore() throws IOException {
        var log = dir.resolve("log");
        append(log, "-- log opened --\nold login line\n");
        var f = follower(log, List.of());
        assertEquals(List.of("-- log opened --", "old login line"), poll(f));
        Files.copy(log, dir.resolve("log.1"));
        Files.writeString(log, "-- log opened --\nnew login line\n");
        assertEquals(List.of("-- log opened --", "new login line"), poll(f));
    }

    @Test
    void copytruncateReadsWhatTheCopyHoldsBeyondOurOffsetFirst() throws IOException {
        var log = dir.resolve("log");
        var f = following(log, "a");
        append(log, "written before the copy\n");
        Files.copy(log, dir.resolve("log.1"));
        Files.writeString(log, "after the truncation\n");
        assertEquals(List.of("written before the copy", "after the truncation"), poll(f));
    }

    @Test
    void aFileRotatedWhileStoppedIsFoundBesideThePathAndItsRestReadFirst() throws IOException {
        for (var rotatedName : List.of("log.1", "log-20261201")) {
            var log = dir.resolve("log");
            append(log, "a\n");
            var f = follower(log, List.of());
            assertEquals(List.of("a"), poll(f));
            var saved = f.positions();
            f.close();
            append(log, "b, after the stop\n");
            Files.move(log, dir.resolve(rotatedName));
            append(log, "c, in the new file\n");
            var resumed = follower(log, saved);
            assertEquals(List.of("b, after the stop", "c, in the new file"), poll(resumed), rotatedName);
            append(dir.resolve(rotatedName), "d, late\n");
            assertEquals(List.of("d, late"), poll(resumed), "the rotated file stays open after a restart too");
            var bothSaved = resumed.positions();
            assertEquals(2, bothSaved.size(), bothSaved.toString());
            resumed.close();
            append(dir.resolve(rotatedName), "e, late while stopped\n");
            assertEquals(List.of("e, late while stopped"), poll(follower(log, bothSaved)));
            Files.delete(log);
            Files.delete(dir.resolve(rotatedName));
        }
    }

    @Test
    void aCompressedRotatedFileIsNotLookedInto() throws IOException {
        var log = dir.resolve("log");
        var saved = positionsAfterReading(log, "a");
        append(log, "b\n");
        Files.move(log, dir.resolve("log.1.gz"));
        append(log, "c\n");
        assertEquals(List.of("c"), poll(follower(log, saved)));
    }

    @Test
    void aCopyTruncatedWhileStoppedIsReadFromTheCopyThenFromTheStart() throws IOException {
        var log = dir.resolve("log");
        var saved = positionsAfterReading(log, "a");
        append(log, "b, before the copy\n");
        Files.copy(log, dir.resolve("log.1"));
        Files.writeString(log, "c, after truncation, longer than before\n");
        assertEquals(List.of("b, before the copy", "c, after truncation, longer than before"), poll(follower(log, saved)));
    }

    @Test
    void rotatedTwiceWhileStoppedTheFileInBetweenIsReadWholeToo() throws Exception {
        var log = dir.resolve("log");
        var f = following(log, "a");
        var saved = f.positions();
        f.close();
        append(log, "b, after the stop\n");
        Files.move(log, dir.resolve("log.1"));
        append(log, "c, in a file never seen\n");
        Files.setLastModifiedTime(log, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(dir.resolve("log.1")).toMillis() + 1000));
        Files.move(dir.resolve("log.1"), dir.resolve("log.2"));
        Files.move(log, dir.resolve("log.1"));
        append(log, "d, in the newest file\n");
        assertEquals(List.of("b, after the stop", "c, in a file never seen", "d, in the newest file"), poll(follower(log, saved)));
    }

    @Test
    void whatTheFileHeldAtTheStartIsCaughtUpOnWhatComesAfterIsNot() throws IOException {
        var log = dir.resolve("log");
        append(log, "old one\nold two\n");
        var f = follower(log, List.of());
        var seen = new ArrayList<String>();
        Input.Events lines = new Input.Events() {
            @Override
            public void accept(String line) {
                seen.add("live " + line);
            }

            @Override
            public void catchingUp(String line) {
                seen.add("old " + line);
            }
        };
        f.poll(lines);
        append(log, "new\n");
        f.poll(lines);
        assertEquals(List.of("old old one", "old old two", "live new"), seen);

        var later = dir.resolve("later");
        var g = follower(later, List.of());
        seen.clear();
        g.poll(lines);
        append(later, "written after the start\n");
        g.poll(lines);
        assertEquals(List.of("live written after the start"), seen, "a file that appears after the start is read as written");
    }

    /** How many of this process's descriptors are open on {@code file}. */
    private static long openDescriptors(Path file) throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file);
                } catch (IOException e) {
                    return false; // closed meanwhile (the listing's own)
                }
            }).count();
        }
    }

    @Test
    void aRotatedFileWhoseReadingFailsIsClosedNotLeaked() throws IOException {
        var log = dir.resolve("log");
        var rotated = dir.resolve("log.1");
        append(log, "a\n");
        var f = follower(log, List.of());
        assertEquals(List.of("a"), poll(f));
        var saved = f.positions();
        f.close();
        append(log, "b, after the stop\n");
        Files.move(log, rotated);
        append(log, "c, in the new file\n");
        var resumed = follower(log, saved);
        var failure = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> resumed.poll(line -> {
            throw new IllegalStateException("a line's handling failed");
        }));
        assertEquals("a line's handling failed", failure.getMessage());
        assertEquals(0, openDescriptors(rotated.toRealPath()), "the rotated file's descriptor");
        resumed.close();
    }
}
