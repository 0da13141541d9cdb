package org.poplock.common.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.function.BiConsumer;
import org.mapdb.Serializer;
import org.mapdb.SortedTableMap;
import org.mapdb.volume.FileChannelVol;
import org.mapdb.volume.SingleByteArrayVol;
import org.mapdb.volume.Volume;

/**
 * One published table (or readlog's state) read through MapDB, for showallowed's listing and
 * readlog: every entry in order. Small tables are read whole so that nothing stays mapped or
 * open: a file replaced or truncated under us cannot fault a later read.
 */
final class MapDbTable implements PublishedPair.Table {

    /** The reader of a published pair through MapDB. */
    static final PublishedPair.Format<MapDbTable> FORMAT = MapDbTable::read;

    /** A table this large is read through its descriptor, page by page, rather than into the heap. */
    private static final long READ_WHOLE_UP_TO = 4 << 20;

    private final Path file;
    private final SortedTableMap<String, byte[]> map;

    private MapDbTable(Path file, SortedTableMap<String, byte[]> map) {
        this.file = file;
        this.map = map;
    }

    /** The table at {@code file}; IOException with one line for one unreadable, damaged or not MapDB's, its counts checked first. */
    static MapDbTable read(Path file) throws IOException {
        var volume = volume(file);
        try {
            SortedTableCheck.check(file, volume);
            return new MapDbTable(file, SortedTableMap.open(volume, Serializer.STRING, Serializer.BYTE_ARRAY));
        } catch (IOException e) {
            volume.close();
            throw e;
        } catch (RuntimeException e) {
            volume.close();
            throw new IOException(file + " is not a relay database: " + e, e);
        } catch (OutOfMemoryError e) {
            volume.close();
            throw claimsTooMuch(file, e);
        }
    }

    /** The file's bytes as MapDB reads them: in the heap when small, else through its descriptor. */
    private static Volume volume(Path file) throws IOException {
        byte[] data;
        try {
            if (Files.size(file) > READ_WHOLE_UP_TO) {
                // Positioned reads on the file opened: one replaced meanwhile is read as it was.
                return new FileChannelVol(file.toFile(), true, -1L, 20, 0L);
            }
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw Problems.unreadable(file, e);
        } catch (RuntimeException e) {
            throw new IOException(file + " is not a relay database: " + e, e);
        }
        if (data.length == 0) {
            throw new IOException(file + " is empty");
        }
        return new SingleByteArrayVol(data);
    }

    /**
     * MapDB sizes its arrays (a page's keys, a value's bytes) by the counts the file gives;
     * {@link SortedTableCheck} bounds each by the file before MapDB reads it, so this is left for
     * a table that, whole, is more than the heap: a file to refuse, not a reason to die.
     */
    static IOException claimsTooMuch(Path file, OutOfMemoryError e) {
        return new IOException(file + " is damaged: it claims more than a heap could hold (" + e.getMessage() + ")", e);
    }

    /** {@inheritDoc} MapDB's reader over a damaged table throws a RuntimeException, left to the caller to word. */
    @Override
    public byte[] get(String key) throws IOException {
        try {
            return map.get(key);
        } catch (OutOfMemoryError e) {
            throw claimsTooMuch(file, e);
        }
    }

    /** Every key and its value as stored, in key order, reserved keys included. */
    Iterator<Map.Entry<String, byte[]>> entries() {
        return map.entryIterator();
    }

    int size() {
        return map.size();
    }

    /** Every key and its value as stored, in key order, to {@code action}; IOException with one line for a damaged table. */
    void forEach(BiConsumer<String, byte[]> action) throws IOException {
        try {
            map.forEach(action);
        } catch (RuntimeException e) {
            throw new IOException(file + " is damaged: " + e, e);
        } catch (OutOfMemoryError e) {
            throw claimsTooMuch(file, e);
        }
    }

    @Override
    public void close() {
        map.close();
    }
}
