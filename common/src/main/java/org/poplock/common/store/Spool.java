package org.poplock.common.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * How an admin's change ({@code showallowed --add/--remove/--flush}) reaches readlog without
 * breaking the single-writer rule: one command per file in a spool directory beside the database,
 * written under a temporary name and renamed, so readlog never reads half a command. readlog
 * applies them in order, publishes, and deletes them. The commands are {@link SpoolCommand}s.
 */
public final class Spool {

    private static final String SUFFIX = ".cmd";

    private Spool() {
    }

    /**
     * Why this process may not queue a command in {@code spool}, or null when it may (or the spool
     * is not there yet, which readlog's absence explains): who may write it, in one line.
     */
    public static String unwritable(Path spool) {
        if (!Files.isDirectory(spool) || Files.isWritable(spool)) {
            return null;
        }
        String who;
        try {
            var a = Files.readAttributes(spool, PosixFileAttributes.class);
            var owner = a.owner().getName();
            who = "owner " + owner + ", group " + a.group().getName() + ", mode " + PosixFilePermissions.toString(a.permissions())
                    + "; run it as root" + (owner.equals("root") ? "" : " or as " + owner);
        } catch (IOException | UnsupportedOperationException e) {
            who = "run it as root or as readlog's user";
        }
        return "cannot queue the change in " + spool + ": Permission denied (" + who + ")";
    }

    /** Queues one command; returns its file, which disappears once readlog has applied it. */
    public static Path submit(Path spool, SpoolCommand command) throws IOException {
        var name = String.format("%019d-%d", System.currentTimeMillis() * 1_000_000 + System.nanoTime() % 1_000_000,
                ProcessHandle.current().pid());
        var tmp = spool.resolve("." + name + ".tmp");
        Files.writeString(tmp, command.encode() + "\n", StandardCharsets.UTF_8);
        return Files.move(tmp, spool.resolve(name + SUFFIX), StandardCopyOption.ATOMIC_MOVE);
    }

    /** The queued command files, oldest first. */
    public static List<Path> pending(Path spool) throws IOException {
        var out = new ArrayList<Path>();
        if (!Files.isDirectory(spool)) {
            return out;
        }
        try (var files = Files.list(spool)) {
            files.filter(f -> f.getFileName().toString().endsWith(SUFFIX) && !f.getFileName().toString().startsWith("."))
                    .sorted().forEach(out::add);
        }
        return out;
    }
}
