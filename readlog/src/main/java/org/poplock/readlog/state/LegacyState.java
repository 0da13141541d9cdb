package org.poplock.readlog.state;

import java.io.IOError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * The state as earlier versions kept it: a MapDB hash map file and its write-ahead log. Read once,
 * at the start, when the file is no snapshot; the first snapshot replaces it, so an upgrade keeps
 * every grant and reads no log again.
 */
final class LegacyState {

    private LegacyState() {
    }

    /**
     * Hands what {@code file} holds to {@code entries} and {@code positions}; returns the files to
     * delete once a snapshot is written (its write-ahead logs), or null when {@code file} is no
     * MapDB state either.
     */
    static List<Path> read(Path file, BiConsumer<String, byte[]> entries, BiConsumer<String, long[]> positions) throws IOException {
        List<Path> files;
        try (var siblings = Files.list(file.toAbsolutePath().getParent())) {
            var name = file.getFileName().toString();
            files = siblings.filter(f -> f.getFileName().toString().equals(name) || f.getFileName().toString().startsWith(name + ".wal.")).toList();
        }
        try {
            var db = DBMaker.fileDB(file.toFile()).transactionEnable().make();
            try {
                db.hashMap("entries", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen().forEach(entries);
                db.hashMap("positions", Serializer.STRING, Serializer.LONG_ARRAY).createOrOpen().forEach(positions);
            } finally {
                db.close();
            }
            return files.stream().filter(f -> !f.equals(file)).toList();
        } catch (RuntimeException | IOError e) {
            return null;
        }
    }
}
