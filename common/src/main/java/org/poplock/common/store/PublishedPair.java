package org.poplock.common.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A published table and, when it names one, its delta ({@link PublishedTable}), read as one: the
 * reader of the pair for relaylock's lookup ({@link RelayLookup}) and showallowed's listing
 * ({@link RelayDatabase}) alike, so both open a pair replaced meanwhile again by the same rule and
 * both pass over the {@link ReservedKeys}.
 */
final class PublishedPair<T extends PublishedPair.Table> implements Closeable {

    /** One file of the pair, as one reader reads it. */
    interface Table extends Closeable {
        /** The value stored under {@code key}, or null; IOException with one line for a damaged file. */
        byte[] get(String key) throws IOException;
    }

    /** How a reader opens one file: IOException with one line (its cause the JDK's) when it cannot. */
    interface Format<T extends Table> {
        T open(Path file) throws IOException;
    }

    private final T base;
    /** The changes since {@link #base} was written; null for a table written whole. */
    private final T delta;

    private PublishedPair(T base, T delta) {
        this.base = base;
        this.delta = delta;
    }

    /**
     * The table at {@code file} and its delta. readlog writes the delta of a generation before the
     * table that names it, and removes it only after a newer table is in place: a delta missing
     * means the table was replaced since it was opened, so the pair is opened once more; missing
     * again, it is an error. Each file stays open as it was opened: one replaced meanwhile is
     * read whole as it was.
     */
    static <T extends Table> PublishedPair<T> open(Path file, Format<T> format) throws IOException {
        for (int attempt = 0; ; attempt++) {
            var base = format.open(file);
            try {
                long generation = DatabaseLayout.generationOf(file, base.get(ReservedKeys.DELTA));
                return new PublishedPair<>(base, generation < 0 ? null : format.open(DatabaseLayout.delta(file, generation)));
            } catch (IOException e) {
                base.close();
                if (attempt == 0 && e.getCause() instanceof NoSuchFileException) {
                    continue;
                }
                throw e;
            } catch (RuntimeException e) {
                // MapDB's reader over a damaged table (an index past its end)
                base.close();
                throw new IOException(file + " is not a relay database: " + e, e);
            }
        }
    }

    T base() {
        return base;
    }

    /** The delta, or null. */
    T delta() {
        return delta;
    }

    /**
     * The value stored for an address: the delta's when it has one (an empty one is an address
     * withdrawn since the base was written: null), else the base's; null for a reserved key.
     */
    byte[] value(String address) throws IOException {
        if (ReservedKeys.isReserved(address)) {
            return null;
        }
        var value = delta == null ? null : delta.get(address);
        if (value == null) {
            return base.get(address);
        }
        return value.length == 0 ? null : value;
    }

    /**
     * Hands every address and its value, in key order, to {@code action}: {@code base} and
     * {@code delta} (each in key order) merged as they are read, a changed address as the delta
     * has it, a withdrawn one not at all, the reserved keys of either never.
     */
    static void merge(Iterator<Map.Entry<String, byte[]>> base, Iterator<Map.Entry<String, byte[]>> delta,
            BiConsumer<String, byte[]> action) {
        var change = next(delta);
        while (base.hasNext()) {
            var e = base.next();
            var key = e.getKey();
            if (ReservedKeys.isReserved(key)) {
                continue;
            }
            while (change != null && change.getKey().compareTo(key) < 0) {
                emit(change, action);
                change = next(delta);
            }
            if (change != null && change.getKey().equals(key)) {
                emit(change, action);
                change = next(delta);
            } else {
                action.accept(key, e.getValue());
            }
        }
        for (; change != null; change = next(delta)) {
            emit(change, action);
        }
    }

    private static Map.Entry<String, byte[]> next(Iterator<Map.Entry<String, byte[]>> it) {
        return it.hasNext() ? it.next() : null;
    }

    private static void emit(Map.Entry<String, byte[]> change, BiConsumer<String, byte[]> action) {
        if (change.getValue().length > 0 && !ReservedKeys.isReserved(change.getKey())) {
            action.accept(change.getKey(), change.getValue());
        }
    }

    @Override
    public void close() throws IOException {
        try (base) {
            if (delta != null) {
                delta.close();
            }
        }
    }
}
