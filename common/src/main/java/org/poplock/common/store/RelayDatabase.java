package org.poplock.common.store;

import java.io.IOError;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.mapdb.Serializer;
import org.mapdb.SortedTableMap;
import org.mapdb.volume.ByteArrayVol;
import org.mapdb.volume.SingleByteArrayVol;

/**
 * The published relay database: a complete, immutable MapDB {@link SortedTableMap} from canonical
 * address to {@link RelayEntry}, read by relaylock and showallowed from other processes.
 *
 * <p>MapDB gives no safe way for a reader to open a file that another process has open for
 * writing (measured: checksum errors, IndexOutOfBounds, silently wrong values). So the file a
 * reader opens is never written again: {@link #publish} builds the whole table in memory, writes
 * it under a temporary name in the same directory, fsyncs it and renames it over the live name.
 * A reader sees the old file or the new one, never a mix, and keeps the inode it read even if a
 * publish replaces the name meanwhile.
 */
public final class RelayDatabase {

    /** MapDB's default page is 1 MiB; small pages keep the file near its content's size. */
    private static final long PAGE_SIZE = 64 * 1024;

    private final SortedTableMap<String, byte[]> table;

    private RelayDatabase(SortedTableMap<String, byte[]> table) {
        this.table = table;
    }

    /**
     * Reads the live file whole (a few hundred kB for ten thousand entries) so that nothing stays
     * mapped or open: a file replaced or truncated under us cannot fault a later read.
     */
    public static RelayDatabase open(Path live) throws IOException {
        var users = new DatabaseLayout(live).users();
        if (Files.isReadable(users)) {
            try {
                return read(users);
            } catch (IOException e) {
                // being replaced, or damaged: the addresses alone still answer
            }
        }
        return read(live);
    }

    /** The table in {@code file} itself, what relaylock reads: no user names, never the table beside it. */
    public static RelayDatabase openTable(Path file) throws IOException {
        return read(file);
    }

    /**
     * Whether {@link #open} gives user names: readlog publishes them beside the database, readable
     * by root and readlog's group only, while the database relaylock reads holds none.
     */
    public static boolean usersReadable(Path live) {
        return Files.isReadable(new DatabaseLayout(live).users());
    }

    /** A table this large is read through its descriptor, page by page, rather than into the heap. */
    private static final long READ_WHOLE_UP_TO = 4 << 20;

    private static RelayDatabase read(Path live) throws IOException {
        try {
            if (Files.size(live) > READ_WHOLE_UP_TO) {
                // Positioned reads on the file opened: one replaced meanwhile is read as it was.
                var volume = new org.mapdb.volume.FileChannelVol(live.toFile(), true, -1L, 20, 0L);
                return new RelayDatabase(SortedTableMap.open(volume, Serializer.STRING, Serializer.BYTE_ARRAY));
            }
        } catch (IOException e) {
            throw Problems.unreadable(live, e);
        } catch (RuntimeException e) {
            throw new IOException(live + " is not a relay database: " + e, e);
        }
        byte[] data;
        try {
            data = Files.readAllBytes(live);
        } catch (IOException e) {
            throw Problems.unreadable(live, e);
        }
        if (data.length == 0) {
            throw new IOException(live + " is empty");
        }
        try {
            return new RelayDatabase(SortedTableMap.open(new SingleByteArrayVol(data), Serializer.STRING, Serializer.BYTE_ARRAY));
        } catch (RuntimeException e) {
            throw new IOException(live + " is not a relay database: " + e, e);
        }
    }

    /** Every key and its value as stored, in key order, from the table at {@code file} (not the users table beside it). */
    public static void forEachStored(Path file, java.util.function.BiConsumer<String, byte[]> action) throws IOException {
        var table = read(file).table;
        try {
            table.forEach(action);
        } catch (RuntimeException e) {
            throw new IOException(file + " is damaged: " + e, e);
        }
    }

    /** The stored entry for a canonical address, live or not; the caller decides with {@link RelayEntry#isLiveAt}. */
    public Optional<RelayEntry> find(String canonicalIp) throws IOException {
        try {
            var value = table.get(canonicalIp);
            return value == null ? Optional.empty() : Optional.of(RelayEntry.decode(canonicalIp, value));
        } catch (RuntimeException e) {
            throw new IOException("relay database is damaged: " + e, e);
        }
    }

    /** Hands every stored entry, in key order, to {@code action} as it is decoded: nothing is collected. */
    public void forEach(java.util.function.Consumer<RelayEntry> action) throws IOException {
        try {
            table.forEach((ip, value) -> action.accept(RelayEntry.decode(ip, value)));
        } catch (RuntimeException e) {
            throw new IOException("relay database is damaged: " + e, e);
        }
    }

    /** Every stored entry, in key order. */
    public List<RelayEntry> entries() throws IOException {
        try {
            var out = new ArrayList<RelayEntry>(table.size());
            for (var e : table.entrySet()) {
                out.add(RelayEntry.decode(e.getKey(), e.getValue()));
            }
            return out;
        } catch (RuntimeException e) {
            throw new IOException("relay database is damaged: " + e, e);
        }
    }

    /**
     * Atomically replaces {@code live} with a database of exactly {@code entries}: written in full
     * under a temporary name beside it, fsynced, renamed over it, and the directory fsynced so the
     * rename survives a crash. A crash at any point leaves either the old or the new file at
     * {@code live}, each complete.
     */
    public static void publish(Path live, Collection<RelayEntry> entries) throws IOException {
        var sorted = new TreeMap<String, byte[]>();
        for (var entry : entries) {
            sorted.put(entry.ip(), entry.encodeValue());
        }
        publishEncoded(live, sorted);
    }

    /** {@link #publish}, for entries already encoded ({@link RelayEntry#encodeValue}) and sorted by address. */
    public static void publishEncoded(Path live, SortedMap<String, byte[]> sorted) throws IOException {
        publishEncoded(live, sorted, "rw-r--r--", null);
    }

    /**
     * {@link #publishEncoded(Path, SortedMap)} with the file's mode and, when not null, its group
     * (the name of one): the table of user names is {@code rw-r-----}, for readlog's group.
     */
    public static void publishEncoded(Path live, SortedMap<String, byte[]> sorted, String mode, String group) throws IOException {
        publishEncoded(live, sorted, mode, group, java.util.function.UnaryOperator.identity());
    }

    /** As {@link #publishEncoded(Path, SortedMap, String, String)}, each value as {@code value} turns it (no copy of the table). */
    public static void publishEncoded(Path live, SortedMap<String, byte[]> sorted, String mode, String group,
            java.util.function.UnaryOperator<byte[]> value) throws IOException {
        var volume = new ByteArrayVol(16, 0); // 64 KiB slices, as the pages
        var sink = SortedTableMap.create(volume, Serializer.STRING, Serializer.BYTE_ARRAY).pageSize(PAGE_SIZE).createFromSink();
        sorted.forEach((k, v) -> sink.put(k, value.apply(v)));
        sink.create();

        var dir = live.toAbsolutePath().getParent();
        var tmp = dir.resolve("." + live.getFileName() + ".tmp");
        try {
            try (var channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = Channels.newOutputStream(channel);
                volume.copyTo(out);
                out.flush();
                channel.force(true);
            }
            if (group != null) {
                var view = Files.getFileAttributeView(tmp, java.nio.file.attribute.PosixFileAttributeView.class);
                view.setGroup(tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group));
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
            Files.move(tmp, live, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | IOError | RuntimeException e) {
            // A full disk, say: the half-written copy goes, the live file stays as it was.
            Files.deleteIfExists(tmp);
            if (e instanceof IOException io) {
                throw io;
            }
            // MapDB reports a failed write as java.io.IOError; its cause says what failed.
            throw new IOException(Problems.rootMessage(e), e);
        }
        try (var dirChannel = FileChannel.open(dir, StandardOpenOption.READ)) {
            dirChannel.force(true);
        }
    }
}
