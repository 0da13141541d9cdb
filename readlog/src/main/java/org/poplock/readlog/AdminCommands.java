package org.poplock.readlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.poplock.common.address.Printable;
import org.poplock.common.store.Spool;
import org.poplock.common.store.SpoolCommand;
import org.poplock.readlog.state.GrantInput;
import org.poplock.readlog.state.Grants;
import org.poplock.readlog.state.RelayState;

/**
 * The admin's queued changes (see {@link Spool}) applied to the grants: readlog stays the only
 * writer. The grants tell the outputs (the cluster among them) of each change.
 */
final class AdminCommands implements GrantInput {

    private final Path spool;
    private final Grants grants;
    /** Where a flag on a user is lifted (the other cluster hosts hear of it there). */
    private final RelayState state;
    private final Consumer<String> log;
    /** Commands applied and not yet published: their files go once the change is published. */
    private final List<Path> applied = new ArrayList<>();

    AdminCommands(Path spool, RelayState state, Consumer<String> log) throws IOException {
        this.spool = spool;
        this.grants = state.grants();
        this.state = state;
        this.log = log;
        Files.createDirectories(spool);
    }

    /**
     * Applies every queued command; returns how many changed the grants. Their files stay until
     * {@link #published}: showallowed waits for its file to go, and then finds its change published.
     */
    @Override
    public int apply(Instant now) {
        int changed = 0;
        try {
            for (var file : Spool.pending(spool)) {
                if (applied.contains(file)) {
                    continue;
                }
                var command = Files.readString(file, StandardCharsets.UTF_8).strip();
                try {
                    if (apply(command, now)) {
                        changed++;
                    }
                } catch (RuntimeException e) {
                    log.accept("ignoring admin command " + Printable.of(command) + ": " + e.getMessage());
                }
                applied.add(file);
            }
        } catch (IOException e) {
            log.accept("cannot read the spool " + spool + ": " + e.getMessage());
        }
        return changed;
    }

    /** showallowed waits for the change it queued: the users table is written at once. */
    @Override
    public boolean shownAtOnce() {
        return true;
    }

    /** The changes applied so far are published: their commands leave the spool. */
    @Override
    public void published() {
        for (var file : applied) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.accept("cannot remove " + file + " from the spool: " + e.getMessage());
            }
        }
        applied.clear();
    }

    private boolean apply(String line, Instant now) {
        var command = SpoolCommand.parse(line);
        if (command instanceof SpoolCommand.Add add) {
            grants.grant(add.ip(), add.user(), now, Duration.ofSeconds(add.seconds()));
            log.accept("admin: " + add.ip() + " may relay for " + add.seconds() + "s (" + Printable.of(add.user()) + ")");
            return true;
        }
        if (command instanceof SpoolCommand.Remove remove) {
            boolean had = grants.withdraw(remove.ip(), now);
            log.accept("admin: removed " + remove.ip() + (had ? "" : " (it had no entry)"));
            return had;
        }
        if (command instanceof SpoolCommand.Unflag unflag) {
            boolean had = state.unflag(unflag.user(), now);
            log.accept("admin: unflagged " + Printable.word(unflag.user()) + (had ? "" : " (it had no flag)"));
            return false;
        }
        log.accept("admin: flushed " + grants.withdrawAll(now) + " entries");
        return true;
    }
}
