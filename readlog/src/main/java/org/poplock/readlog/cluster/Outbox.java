package org.poplock.readlog.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.poplock.common.address.Printable;
import org.poplock.common.store.ReservedKeys;
import org.poplock.readlog.Supervisor;

/**
 * This host's changes not yet taken by Redis, in order. The daemon adds, the sender thread takes
 * the oldest and acknowledges them once Redis has them; what is still here is saved in readlog's
 * state at every commit ({@link #records}), so a restart while Redis is away loses none of them.
 */
public final class Outbox {

    /** The state's keys of the outbox and of the stream position. */
    static final String ITEM = ReservedKeys.CLUSTER + "outbox ";
    static final String POSITION = ReservedKeys.CLUSTER + "stream";
    /**
     * Beyond this many (a Redis away for hours at a provider), the oldest go: they would have
     * expired anyway. Every commit saves the whole outbox with the state, so it is kept to some
     * 10 MB of text.
     */
    static final int LIMIT = 100_000;

    /** A change and its text as the state saves it, made once when it is queued rather than at every commit. */
    record Item(long seq, ClusterEvent event, String key, byte[] saved) {
        Item(long seq, ClusterEvent event, byte[] saved) {
            this(seq, event, ITEM + String.format("%019d", seq), saved);
        }

        Item(long seq, ClusterEvent event) {
            this(seq, event, event.encode().getBytes(StandardCharsets.UTF_8));
        }
    }

    private final ArrayDeque<Item> items = new ArrayDeque<>();
    private long nextSeq = 1;
    private long dropped;

    /** The outbox the state saved ({@link #records}), in order; a damaged item is not sent, with one line saying how many and why. */
    public static Outbox from(Map<String, byte[]> records, Consumer<String> log) {
        var outbox = new Outbox();
        int[] damaged = {0};
        String[] why = {null};
        new TreeMap<>(records).forEach((key, value) -> {
            if (key.startsWith(ITEM)) {
                try {
                    long seq = Long.parseLong(key.substring(ITEM.length()));
                    outbox.items.add(new Item(seq, ClusterEvent.decode(new String(value, StandardCharsets.UTF_8)), value));
                    outbox.nextSeq = Math.max(outbox.nextSeq, seq + 1);
                } catch (RuntimeException e) {
                    damaged[0]++;
                    why[0] = Printable.of(key.substring(ITEM.length())) + ": " + Supervisor.reason(e);
                }
            }
        });
        if (damaged[0] > 0) {
            log.accept("cluster: " + damaged[0] + " damaged changes in the saved outbox are not sent (the last: " + why[0] + ")");
        }
        while (outbox.items.size() > LIMIT) {
            outbox.items.poll();
            outbox.dropped++;
        }
        return outbox;
    }

    /** The stream position the state saved, or null. */
    public static String position(Map<String, byte[]> records) {
        var value = records.get(POSITION);
        return value == null ? null : new String(value, StandardCharsets.US_ASCII);
    }

    public synchronized void add(ClusterEvent event) {
        items.add(new Item(nextSeq++, event));
        if (items.size() > LIMIT) {
            items.poll();
            dropped++;
        }
        notifyAll();
    }

    /** Up to {@code max} of the oldest, waiting up to {@code waitMillis} for one; grants already expired are skipped. */
    synchronized List<Item> peek(int max, long waitMillis, Instant now) throws InterruptedException {
        if (items.isEmpty()) {
            wait(waitMillis);
        }
        while (!items.isEmpty() && items.peek().event().op() == ClusterEvent.Op.GRANT && !items.peek().event().expiry().isAfter(now)) {
            items.poll(); // no host needs it any more
        }
        var out = new ArrayList<Item>(Math.min(max, items.size()));
        for (var item : items) {
            if (out.size() == max) {
                break;
            }
            out.add(item);
        }
        return out;
    }

    /** Redis has every item up to {@code seq}. */
    synchronized void ack(long seq) {
        while (!items.isEmpty() && items.peek().seq() <= seq) {
            items.poll();
        }
    }

    public synchronized int size() {
        return items.size();
    }

    synchronized long dropped() {
        return dropped;
    }

    /** What the state saves: every item not yet acknowledged, and the stream position {@code position} (may be null). */
    public synchronized SortedMap<String, byte[]> records(String position) {
        var out = new TreeMap<String, byte[]>();
        for (var item : items) {
            out.put(item.key(), item.saved());
        }
        if (position != null) {
            out.put(POSITION, position.getBytes(StandardCharsets.US_ASCII));
        }
        return out;
    }
}
