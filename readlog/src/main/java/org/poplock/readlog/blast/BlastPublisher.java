package org.poplock.readlog.blast;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.Consumer;
import org.poplock.common.store.BlastTable;
import org.poplock.readlog.state.Output;

/**
 * Publishes what showallowed shows of the blast radius (the shared addresses with their users, the
 * flagged users) beside the database after each publish, when it changed: showallowed reads that
 * file, never readlog's state; with nothing to show there is no file. A failed write is one line and
 * retried on the next round.
 */
public final class BlastPublisher implements Output {

    private final BlastRadius blast;
    private final Path file;
    private final String group;
    private final Consumer<String> log;
    /** What the file holds; null: not written by this readlog yet (an old one may be left). */
    private BlastTable written;
    private String failing;
    /** Users and flags also age without a login: looked at again once a second when the grants did not change. */
    private static final long EVERY_NANOS = 1_000_000_000L;
    private long due = System.nanoTime();

    /** {@code group}: who besides root may read the file (--db-group; null: readlog's own). */
    public BlastPublisher(BlastRadius blast, Path file, String group, Consumer<String> log) {
        this.blast = blast;
        this.file = file;
        this.group = group;
        this.log = log;
    }

    @Override
    public void published(Instant now, boolean changed) {
        if (!changed && written != null && System.nanoTime() - due < 0) {
            return;
        }
        due = System.nanoTime() + EVERY_NANOS;
        var table = BlastTable.of(blast.sharedNow(now), blast.flagged(now));
        if (table.equals(written)) {
            return;
        }
        try {
            if (table.isEmpty()) {
                Files.deleteIfExists(file); // nothing to show is no file: a site without shared addresses or flags never writes one
            } else {
                table.write(file, "rw-r-----", group);
            }
            written = table;
            if (failing != null) {
                log.accept("published " + file + " again");
                failing = null;
            }
        } catch (IOException | RuntimeException e) {
            if (failing == null) {
                failing = e.getMessage();
                log.accept("cannot publish " + file + ": " + e.getMessage() + "; showallowed shows the last published shared addresses and flags");
            }
        }
    }
}
