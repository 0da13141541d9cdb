package org.poplock.readlog.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

class LegacyStateTest {

    @TempDir
    Path dir;

    @Test
    void anEarlierVersionsMapDbStateIsReadWhole() throws IOException {
        var file = dir.resolve("state");
        var db = DBMaker.fileDB(file.toFile()).transactionEnable().make();
        db.hashMap("entries", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen().put("192.0.2.1", new byte[] {1, 2, 3});
        db.hashMap("positions", Serializer.STRING, Serializer.LONG_ARRAY).createOrOpen().put("/var/log/mail.log", new long[] {7, 42});
        db.commit();
        db.close();
        var entries = new HashMap<String, byte[]>();
        var positions = new HashMap<String, long[]>();
        var toDelete = LegacyState.read(file, entries::put, positions::put);
        assertNotNull(toDelete, "a MapDB state is recognised");
        assertEquals(1, entries.size());
        assertArrayEquals(new byte[] {1, 2, 3}, entries.get("192.0.2.1"));
        assertArrayEquals(new long[] {7, 42}, positions.get("/var/log/mail.log"));
        assertEquals(false, toDelete.contains(file), "the file itself is replaced by the snapshot, not deleted");
    }

    @Test
    void aFileThatIsNoMapDbStateIsNone() throws IOException {
        var file = dir.resolve("state");
        Files.writeString(file, "no state at all\n".repeat(100), StandardCharsets.US_ASCII);
        assertNull(LegacyState.read(file, (k, v) -> { }, (k, v) -> { }));
    }
}
