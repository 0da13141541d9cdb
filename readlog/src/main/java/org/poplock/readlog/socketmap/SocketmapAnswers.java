package org.poplock.readlog.socketmap;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.poplock.readlog.policy.LiveTable;

/**
 * The socketmap's answers from the live grants the policy service reads, with no I/O: a key that
 * names a client address with a live grant is found, with the configured value (sendmail's access
 * map calls it RELAY); any other key, whatever the map's name, is not found.
 */
public final class SocketmapAnswers {

    private final LiveTable table;
    private final String value;
    private final LongSupplier millisClock;
    private final LongAdder found = new LongAdder();
    private final LongAdder notFound = new LongAdder();

    public SocketmapAnswers(LiveTable table, String value, LongSupplier millisClock) {
        this.table = table;
        this.value = value;
        this.millisClock = millisClock;
    }

    /** The reply, a netstring. */
    public byte[] answer(SocketmapCodec.Request request) {
        var ip = SocketmapCodec.address(request.key());
        if (ip != null && table.isLive(ip, millisClock.getAsLong())) {
            found.increment();
            return SocketmapCodec.found(value);
        }
        notFound.increment();
        return SocketmapCodec.notFound();
    }

    /** Lookups answered OK (a live grant). */
    public long found() {
        return found.sum();
    }

    /** Lookups answered NOTFOUND. */
    public long notFound() {
        return notFound.sum();
    }
}
