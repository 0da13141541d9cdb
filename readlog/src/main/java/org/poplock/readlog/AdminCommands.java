package org.poplock.readlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import org.poplock.common.store.SpoolCommand;
import org.poplock.common.address.Printable;
import org.poplock.common.store.Spool;
import org.poplock.readlog.state.RelayState;

/** Applies the admin's queued changes (see {@link Spool}) to the state; readlog stays the only writer. */
final class AdminCommands {

    private final Path spool;
    private final Consumer<String> log;
    /** The cluster, told of each change (nobody outside one). */
    private final org.poplock.readlog.cluster.LocalChanges cluster;

    AdminCommands(Path spool, org.poplock.readlog.cluster.LocalChanges cluster, Consumer<String> log) throws IOException {
        this.spool = spool;
        this.cluster = cluster;
        this.log = log;
        Files.createDirectories(spool);
    }

    /** Commands applied and not yet published: their files go once the change is published. */
    private final java.util.List<Path> applied = new java.util.ArrayList<>();

    /**
     * Applies every queued command; returns how many changed the state. Their files stay until
     * {@link #published}: showallowed waits for its file to go, and then finds its change published.
     */
    int apply(RelayState state, Instant now) {
        int changed = 0;
        try {
            for (var file : Spool.pending(spool)) {
                if (applied.contains(file)) {
                    continue;
                }
                var command = Files.readString(file, StandardCharsets.UTF_8).strip();
                try {
                    if (apply(command, state, now)) {
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

    /** The changes applied so far are published: their commands leave the spool. */
    void published() {
        for (var file : applied) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.accept("cannot remove " + file + " from the spool: " + e.getMessage());
            }
        }
        applied.clear();
    }

    private boolean apply(String line, RelayState state, Instant now) {
        var grants = state.grants();
        var command = SpoolCommand.parse(line);
        if (command instanceof SpoolCommand.Add add) {
            grants.grant(add.ip(), add.user(), now, Duration.ofSeconds(add.seconds()));
            cluster.granted(add.ip());
            log.accept("admin: " + add.ip() + " may relay for " + add.seconds() + "s (" + Printable.of(add.user()) + ")");
            return true;
        }
        if (command instanceof SpoolCommand.Remove remove) {
            boolean had = grants.revoke(remove.ip());
            cluster.removed(remove.ip(), now); // another host may have it
            log.accept("admin: removed " + remove.ip() + (had ? "" : " (it had no entry)"));
            return had;
        }
        if (command instanceof SpoolCommand.Unflag unflag) {
            boolean had = state.guard().unflag(unflag.user());
            log.accept("admin: unflagged " + Printable.word(unflag.user()) + (had ? "" : " (it had no flag)"));
            return false;
        }
        log.accept("admin: flushed " + grants.revokeAll() + " entries");
        cluster.flushed(now);
        return true;
    }
}
