package org.poplock.showallowed;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.poplock.common.config.Timeouts;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.common.store.Problems;
import org.poplock.common.store.Spool;
import org.poplock.common.store.SpoolCommand;
import org.poplock.common.store.StateOwner;

/**
 * An admin's change (--add, --remove, --flush) handed to readlog through the spool, waiting for
 * readlog to take it: showallowed never opens the state, which is readlog's alone.
 */
final class AdminChange {

    private final Path db;
    /** How long readlog has to take the change, as --wait gives it: read once the change is queued. */
    private final String wait;
    private final PrintStream out;
    private final PrintStream err;

    /** For the database at {@code db}; gives readlog {@code wait} to take the change. */
    AdminChange(Path db, String wait, PrintStream out, PrintStream err) {
        this.db = db;
        this.wait = wait;
        this.out = out;
        this.err = err;
    }

    /** Queues {@code command} and waits; the exit status: 0 when readlog took it, else 111 with one line said. */
    int apply(SpoolCommand command) {
        // A user who may not write the spool may not read readlog's lock either: that is the
        // trouble to name, not readlog's absence.
        var spool = new DatabaseLayout(db).spool();
        var unwritable = Spool.unwritable(spool);
        if (unwritable != null) {
            err.println("showallowed: " + unwritable + "; nothing changed");
            return 111;
        }
        var owner = readlogPid();
        if (owner == null) {
            if (Files.exists(lockFile()) && !Files.isReadable(lockFile())) {
                err.println("showallowed: cannot tell whether readlog runs: cannot read " + lockFile() + ": Permission denied; nothing changed");
            } else {
                err.println("showallowed: readlog is not running (no live owner of " + lockFile() + "): nothing changed");
            }
            return 111;
        }
        try {
            var queued = Spool.submit(spool, command);
            long deadline = System.nanoTime() + Timeouts.parse(wait).toNanos();
            while (Files.exists(queued)) {
                if (System.nanoTime() > deadline) {
                    err.println("showallowed: readlog (pid " + owner + ") has not taken the change yet; it stays queued as " + queued);
                    return 111;
                }
                Thread.sleep(20);
            }
            out.println("showallowed: done: " + command.encode());
            return 0;
        } catch (IOException e) {
            err.println("showallowed: cannot queue the change in " + spool + ": " + Problems.reason(e));
            return 111;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 111;
        }
    }

    private Path lockFile() {
        return DatabaseLayout.lockOf(new DatabaseLayout(db).state());
    }

    /** The pid of the readlog that holds the state's lock, if that process is alive. */
    private Long readlogPid() {
        return StateOwner.alive(lockFile()).orElse(null);
    }
}
