package org.poplock.readlog.state;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.poplock.common.store.RelayEntry;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.source.LogPosition;

/**
 * readlog's working state, in a MapDB file only readlog opens: the relay entries and how far each
 * log has been read. Written with MapDB's write-ahead log, so a crash loses at most the batch in
 * progress, which the saved log positions make readlog read again.
 */
public final class RelayState implements AutoCloseable {

    private final DB db;
    private final HTreeMap<String, byte[]> entries;
    private final HTreeMap<String, long[]> positions;

    private RelayState(DB db) {
        this.db = db;
        this.entries = db.hashMap("entries", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
        this.positions = db.hashMap("positions", Serializer.STRING, Serializer.LONG_ARRAY).createOrOpen();
    }

    /** Opens or creates the state; a second readlog on the same file is refused, not allowed to corrupt it. */
    public static RelayState open(Path file) throws IOException {
        try {
            return new RelayState(DBMaker.fileDB(file.toFile()).transactionEnable().make());
        } catch (DBException.FileLocked e) {
            throw new IOException("state " + file + " is in use by another readlog (" + e.getMessage() + ")");
        } catch (DBException e) {
            throw new IOException("cannot open state " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records a login. Returns whether the live set changed: a login already expired by its own
     * timestamp changes nothing, and an older line never shortens a newer entry.
     */
    public boolean record(Login login, Duration timeout, Instant now) {
        // A stamp ahead of our clock must not stretch the grant beyond the timeout.
        var time = login.time().isAfter(now) ? now : login.time();
        var entry = RelayEntry.of(login.ip(), login.user(), time, timeout);
        if (!entry.isLiveAt(now)) {
            return false;
        }
        var old = entries.get(login.ip());
        if (old != null) {
            var previous = RelayEntry.decode(login.ip(), old);
            if (!previous.expiry().isBefore(entry.expiry())) {
                return false;
            }
        }
        entries.put(login.ip(), entry.encodeValue());
        return true;
    }

    /** Removes expired entries; returns how many. */
    public int sweep(Instant now) {
        int removed = 0;
        for (var ip : new ArrayList<>(entries.getKeys())) {
            var value = entries.get(ip);
            if (value == null || !RelayEntry.decode(ip, value).isLiveAt(now)) {
                entries.remove(ip);
                removed++;
            }
        }
        return removed;
    }

    public List<RelayEntry> live(Instant now) {
        var out = new ArrayList<RelayEntry>(entries.size());
        entries.forEach((ip, value) -> {
            var e = RelayEntry.decode(ip, value);
            if (e.isLiveAt(now)) {
                out.add(e);
            }
        });
        return out;
    }

    /** When the earliest stored entry expires, so the daemon can sweep and republish on a quiet log. */
    public Optional<Instant> nextExpiry() {
        Instant first = null;
        for (var e : entries.getEntries()) {
            var expiry = RelayEntry.decode(e.getKey(), e.getValue()).expiry();
            if (first == null || expiry.isBefore(first)) {
                first = expiry;
            }
        }
        return Optional.ofNullable(first);
    }

    public Optional<LogPosition> position(String log) {
        var p = positions.get(log);
        return p == null || p.length != 2 ? Optional.empty() : Optional.of(new LogPosition(p[0], p[1]));
    }

    public void savePosition(String log, LogPosition position) {
        positions.put(log, new long[] {position.inode(), position.offset()});
    }

    public void commit() {
        db.commit();
    }

    @Override
    public void close() {
        db.close();
    }
}
