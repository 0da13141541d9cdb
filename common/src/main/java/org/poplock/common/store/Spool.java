package org.poplock.common.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * How an admin's change ({@code showallowed --add/--remove/--flush}) reaches readlog without
 * breaking the single-writer rule: one command per file in a spool directory beside the database,
 * written under a temporary name and renamed, so readlog never reads half a command. readlog
 * applies them in order, publishes, and deletes them. Lines: {@code add IP SECONDS USER},
 * {@code remove IP}, {@code flush}.
 */
public final class Spool {

    private static final String SUFFIX = ".cmd";

    private Spool() {
    }

    /** The spool directory that goes with a database: {@code spool} beside it. */
    public static Path beside(Path db) {
        return db.toAbsolutePath().resolveSibling("spool");
    }

    /**
     * The table of user names that goes with a database: its name and {@code .users}. The database
     * relaylock reads (as the SMTP service's user) holds addresses and times only; who logged in
     * from where is in this one, readable by root and readlog's group.
     */
    public static Path usersBeside(Path db) {
        return db.toAbsolutePath().resolveSibling(db.getFileName() + ".users");
    }

    /** readlog's state that goes with a database: {@code readlog.state} beside it. */
    public static Path stateBeside(Path db) {
        return db.toAbsolutePath().resolveSibling("readlog.state");
    }

    /** The lock file of a readlog state, holding the pid of the readlog that has it open. */
    public static Path lockOf(Path state) {
        return state.resolveSibling(state.getFileName() + ".lock");
    }

    /** Queues one command; returns its file, which disappears once readlog has applied it. */
    public static Path submit(Path spool, String command) throws IOException {
        var name = String.format("%019d-%d", System.currentTimeMillis() * 1_000_000 + System.nanoTime() % 1_000_000,
                ProcessHandle.current().pid());
        var tmp = spool.resolve("." + name + ".tmp");
        Files.writeString(tmp, command + "\n", StandardCharsets.UTF_8);
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
