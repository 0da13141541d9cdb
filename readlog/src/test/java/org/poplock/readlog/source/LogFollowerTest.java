package org.poplock.readlog.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tail -F cases on real files: rotation, copytruncate, recreate, partial lines, resume. */
class LogFollowerTest {

    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    private List<String> poll(LogFollower f) {
        var lines = new ArrayList<String>();
        f.poll(lines::add);
        return lines;
    }

    private static void append(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void partialLastLineWaitsForItsNewline() throws IOException {
        var log = dir.resolve("log");
        append(log, "one\ntw");
        var f = new LogFollower(log, Optional.empty(), warnings::add);
        assertEquals(List.of("one"), poll(f));
        assertEquals(List.of(), poll(f));
        append(log, "o\r\nthree\n");
        assertEquals(List.of("two", "three"), poll(f));
    }

    @Test
    void renameRotationFinishesTheOldFileFirst() throws IOException {
        var log = dir.resolve("log");
        append(log, "a\n");
        var f = new LogFollower(log, Optional.empty(), warnings::add);
        assertEquals(List.of("a"), poll(f));
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
        append(log, "first line that is long\n");
        var f = new LogFollower(log, Optional.empty(), warnings::add);
        assertEquals(List.of("first line that is long"), poll(f));
        Files.copy(log, dir.resolve("log.1"));
        Files.writeString(log, "x\n"); // truncated and written again, shorter than our position
        assertEquals(List.of("x"), poll(f));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("truncated")), warnings.toString());
    }

    @Test
    void fileThatAppearsLaterAndIsDeletedAndRecreated() throws IOException {
        var log = dir.resolve("log");
        var f = new LogFollower(log, Optional.empty(), warnings::add);
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
        var f = new LogFollower(log, Optional.empty(), warnings::add);
        poll(f);
        var saved = f.position().orElseThrow();
        append(log, "new\n");
        assertEquals(List.of("new"), poll(new LogFollower(log, Optional.of(saved), warnings::add)));
        var otherFile = new LogPosition(saved.inode() + 1, saved.firstLineHash(), saved.offset());
        assertEquals(List.of("old", "new"), poll(new LogFollower(log, Optional.of(otherFile), warnings::add)));
        // The same inode with another first line: the old file was deleted and its inode reused.
        var reused = new LogPosition(saved.inode(), saved.firstLineHash() + 1, saved.offset());
        assertEquals(List.of("old", "new"), poll(new LogFollower(log, Optional.of(reused), warnings::add)));
    }

    @Test
    void hostileBytesDoNotStopFollowing() throws IOException {
        var log = dir.resolve("log");
        var huge = "x".repeat(LineSplitter.MAX_LINE + 10);
        Files.write(log, ("before\n" + huge + "\nnul\0byte\n").getBytes(StandardCharsets.UTF_8));
        append(log, "");
        Files.write(log, new byte[] {(byte) 0xff, (byte) 0xfe, 'z', '\n'}, StandardOpenOption.APPEND);
        var f = new LogFollower(log, Optional.empty(), warnings::add);
        assertEquals(List.of("before", "nul\0byte", "\ufffd\ufffdz"), poll(f));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("longer than")), warnings.toString());
    }

    @Test
    void directoryIsReportedNotFollowed() throws IOException {
        var f = new LogFollower(dir, Optional.empty(), warnings::add);
        assertEquals(List.of(), poll(f));
        assertTrue(warnings.get(0).contains("is a directory"), warnings.toString());
    }
}
