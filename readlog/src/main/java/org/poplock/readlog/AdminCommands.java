package org.poplock.readlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import org.poplock.common.address.IpAddress;
import org.poplock.common.address.Printable;
import org.poplock.common.store.Spool;
import org.poplock.readlog.state.RelayState;

/** Applies the admin's queued changes (see {@link Spool}) to the state; readlog stays the only writer. */
final class AdminCommands {

    private final Path spool;
    private final Consumer<String> log;

    AdminCommands(Path spool, Consumer<String> log) throws IOException {
        this.spool = spool;
        this.log = log;
        Files.createDirectories(spool);
    }

    /** Applies every queued command; returns how many changed the state. */
    int apply(RelayState state, Instant now) {
        int changed = 0;
        try {
            for (var file : Spool.pending(spool)) {
                var command = Files.readString(file, StandardCharsets.UTF_8).strip();
                try {
                    if (apply(command, state, now)) {
                        changed++;
                    }
                } catch (RuntimeException e) {
                    log.accept("ignoring admin command " + Printable.of(command) + ": " + e.getMessage());
                }
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            log.accept("cannot read the spool " + spool + ": " + e.getMessage());
        }
        return changed;
    }

    private boolean apply(String command, RelayState state, Instant now) {
        var words = command.split(" ", 4);
        switch (words[0]) {
            case "add" -> {
                var ip = IpAddress.canonical(words[1]);
                var notAClient = IpAddress.notAClient(ip);
                if (notAClient != null) {
                    throw new IllegalArgumentException(ip + " can be no client's address: " + notAClient);
                }
                var user = words.length > 3 ? words[3] : "(admin)";
                state.grant(ip, user, now, Duration.ofSeconds(Long.parseLong(words[2])));
                log.accept("admin: " + ip + " may relay for " + words[2] + "s (" + Printable.of(user) + ")");
                return true;
            }
            case "remove" -> {
                var ip = IpAddress.canonical(words[1]);
                boolean had = state.revoke(ip);
                log.accept("admin: removed " + ip + (had ? "" : " (it had no entry)"));
                return had;
            }
            case "flush" -> {
                log.accept("admin: flushed " + state.revokeAll() + " entries");
                return true;
            }
            default -> throw new IllegalArgumentException("unknown command");
        }
    }
}
