package org.poplock.common.store;

import java.io.IOError;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.mapdb.Serializer;
import org.mapdb.SortedTableMap;
import org.mapdb.volume.ByteArrayVol;
import org.mapdb.volume.FileChannelVol;
import org.mapdb.volume.Volume;

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

    private final PublishedPair<MapDbTable> pair;

    private RelayDatabase(PublishedPair<MapDbTable> pair) {
        this.pair = pair;
    }

    /**
     * The published entries with user names when the table of them is readable (showallowed as
     * root or readlog's group), else the addresses alone.
     */
    public static RelayDatabase open(Path live) throws IOException {
        var users = new DatabaseLayout(live).users();
        if (Files.isReadable(users)) {
            try {
                return openTable(users);
            } catch (IOException e) {
                // being replaced, or damaged: the addresses alone still answer
            }
        }
        return openTable(live);
    }

    /** The table published at {@code file} itself, what relaylock reads: no user names, never the table beside it. */
    public static RelayDatabase openTable(Path file) throws IOException {
        return new RelayDatabase(PublishedPair.open(file, MapDbTable.FORMAT));
    }

    /**
     * Whether {@link #open} gives user names: readlog publishes them beside the database, readable
     * by root and readlog's group only, while the database relaylock reads holds none.
     */
    public static boolean usersReadable(Path live) {
        return Files.isReadable(new DatabaseLayout(live).users());
    }

    /** Every key and its value as stored, in key order, from the one table at {@code file} (no delta, not the users table beside it). */
    public static void forEachStored(Path file, BiConsumer<String, byte[]> action) throws IOException {
        MapDbTable.read(file).forEach(action);
    }

    /** The stored entry for a canonical address, live or not; the caller decides with {@link RelayEntry#isLiveAt}. */
    public Optional<RelayEntry> find(String canonicalIp) throws IOException {
        try {
            var value = pair.value(canonicalIp);
            return value == null ? Optional.empty() : Optional.of(RelayEntry.decode(canonicalIp, value));
        } catch (RuntimeException e) {
            throw new IOException("relay database is damaged: " + e, e);
        }
    }

    /**
     * Hands every stored entry, in key order, to {@code action} as it is decoded: the table and
     * its delta merged as they are read (a changed entry as the delta has it, a withdrawn one not
     * at all), nothing collected.
     */
    public void forEach(Consumer<RelayEntry> action) throws IOException {
        try {
            var delta = pair.delta() == null ? Collections.<Map.Entry<String, byte[]>>emptyIterator() : pair.delta().entries();
            PublishedPair.merge(pair.base().entries(), delta, (ip, value) -> action.accept(RelayEntry.decode(ip, value)));
        } catch (RuntimeException e) {
            throw new IOException("relay database is damaged: " + e, e);
        } catch (OutOfMemoryError e) {
            throw MapDbTable.claimsTooMuch(Path.of("relay database"), e);
        }
    }

    /** Every stored entry, in key order. */
    public List<RelayEntry> entries() throws IOException {
        var out = new ArrayList<RelayEntry>(pair.base().size());
        forEach(out::add);
        return out;
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
        publishEncoded(live, sorted, mode, group, UnaryOperator.identity());
    }

    /** As {@link #publishEncoded(Path, SortedMap, String, String)}, each value as {@code value} turns it (no copy of the table). */
    public static void publishEncoded(Path live, SortedMap<String, byte[]> sorted, String mode, String group,
            UnaryOperator<byte[]> value) throws IOException {
        write(live, sorted, mode, group, value, -1);
    }

    /**
     * Writes one table as {@link #publishEncoded} does; a {@code generation} above 0 is stored
     * under {@link ReservedKeys#DELTA} (the delta that goes with it), and an empty value
     * (a withdrawal, in a delta) is written as it is, not through {@code value}.
     */
    static void write(Path live, SortedMap<String, byte[]> sorted, String mode, String group,
            UnaryOperator<byte[]> value, long generation) throws IOException {
        write(live, sorted::forEach, sorted.size(), mode, group, value, generation);
    }

    /**
     * Writes a table whose entries {@code inOrder} hands to its argument in ascending key order:
     * readlog's state, from a snapshot of two arrays rather than a copied map.
     */
    public static void publishInOrder(Path live, Consumer<BiConsumer<String, byte[]>> inOrder, int size,
            String mode) throws IOException {
        write(live, inOrder, size, mode, null, UnaryOperator.identity(), -1);
    }

    private static void write(Path live, Consumer<BiConsumer<String, byte[]>> inOrder, int size,
            String mode, String group, UnaryOperator<byte[]> value, long generation) throws IOException {
        var dir = live.toAbsolutePath().getParent();
        var tmp = dir.resolve("." + live.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp); // left by a writer killed mid-write
            // A large table is written straight into its file (64 KiB slices, as the pages): built
            // in the heap, a million entries would hold 42 MB through the whole write, long enough
            // to be promoted and to cost the daemon a full collection. A small one (a delta, a
            // table under DELTA_FROM) is built in the heap and written at once: the file volume's
            // many small writes cost more than it saves there.
            boolean large = size >= PublishedTable.DELTA_FROM;
            Volume volume = large ? FileChannelVol.FACTORY.makeVolume(tmp.toString(), false, -1L, 16, 0, false) : new ByteArrayVol(16, 0);
            try {
                var sink = SortedTableMap.create(volume, Serializer.STRING, Serializer.BYTE_ARRAY).pageSize(PAGE_SIZE).createFromSink();
                if (generation > 0) {
                    // a reserved key sorts before every address, as the sink needs
                    sink.put(ReservedKeys.DELTA, Long.toString(generation).getBytes(StandardCharsets.US_ASCII));
                }
                inOrder.accept((k, v) -> sink.put(k, v.length == 0 ? v : value.apply(v)));
                sink.create();
                if (large) {
                    volume.sync();
                } else {
                    try (var channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        var out = Channels.newOutputStream(channel);
                        volume.copyTo(out);
                        out.flush();
                        channel.force(true);
                    }
                }
            } finally {
                volume.close();
            }
            if (group != null) {
                var view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
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
