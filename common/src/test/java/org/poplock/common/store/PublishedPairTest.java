package org.poplock.common.store;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PublishedPairTest {

    private static final Path DB = Path.of("/nowhere/relay.db");

    /** A table in memory. */
    private record Stored(TreeMap<String, byte[]> map) implements PublishedPair.Table {
        @Override
        public byte[] get(String key) {
            return map.get(key);
        }

        @Override
        public void close() {
        }
    }

    /** Files by name; each open of the base may find another one (a publish meanwhile), a missing file as Problems says it. */
    private static final class Files implements PublishedPair.Format<Stored> {
        final Map<Path, List<Stored>> versions = new HashMap<>();
        final List<Path> opened = new ArrayList<>();

        @Override
        public Stored open(Path file) throws IOException {
            opened.add(file);
            var list = versions.get(file);
            if (list == null || list.isEmpty()) {
                throw Problems.unreadable(file, new NoSuchFileException(file.toString()));
            }
            return list.size() > 1 ? list.remove(0) : list.get(0);
        }
    }

    private static Stored table(String... keysAndValues) {
        var map = new TreeMap<String, byte[]>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1].getBytes(US_ASCII));
        }
        return new Stored(map);
    }

    @Test
    void aDeltaGoneWhileOpeningMeansANewBaseWhichIsOpenedAgain() throws IOException {
        var files = new Files();
        files.versions.put(DB, new ArrayList<>(List.of(table(ReservedKeys.DELTA, "1", "10.0.0.1", "old"),
                table(ReservedKeys.DELTA, "2", "10.0.0.1", "base"))));
        files.versions.put(DatabaseLayout.delta(DB, 2), List.of(table("10.0.0.1", "new")));
        try (var pair = PublishedPair.open(DB, files)) {
            assertArrayEquals("new".getBytes(US_ASCII), pair.value("10.0.0.1"));
        }
        assertEquals(4, files.opened.size(), files.opened.toString());
    }

    @Test
    void aDeltaMissingTwiceIsAnError() {
        var files = new Files();
        files.versions.put(DB, List.of(table(ReservedKeys.DELTA, "1", "10.0.0.1", "old")));
        var e = assertThrows(IOException.class, () -> PublishedPair.open(DB, files));
        assertTrue(e.getMessage().contains("relay.db.delta-1"), e.getMessage());
    }

    @Test
    void theDeltaDecidesAWithdrawnAddressIsNoneAndAReservedKeyIsNoAddress() throws IOException {
        var files = new Files();
        files.versions.put(DB, List.of(table(ReservedKeys.DELTA, "5", "10.0.0.1", "base", "10.0.0.2", "base", "10.0.0.3", "kept")));
        files.versions.put(DatabaseLayout.delta(DB, 5), List.of(table("10.0.0.1", "changed", "10.0.0.2", "")));
        try (var pair = PublishedPair.open(DB, files)) {
            assertArrayEquals("changed".getBytes(US_ASCII), pair.value("10.0.0.1"));
            assertNull(pair.value("10.0.0.2"));
            assertArrayEquals("kept".getBytes(US_ASCII), pair.value("10.0.0.3"));
            assertNull(pair.value(ReservedKeys.DELTA));
        }
    }

    @Test
    void mergeGivesEveryAddressOnceInOrderWithoutReservedKeysOrWithdrawals() {
        var base = table(ReservedKeys.DELTA, "5", ReservedKeys.POSITION + "/var/log/mail.log", "x", "10.0.0.1", "a", "10.0.0.3", "c");
        var delta = table(ReservedKeys.CURSOR + "journal", "y", "10.0.0.0", "z", "10.0.0.1", "", "10.0.0.2", "b", "10.0.0.4", "d");
        var out = new ArrayList<String>();
        PublishedPair.merge(base.map().entrySet().iterator(), delta.map().entrySet().iterator(),
                (key, value) -> out.add(key + "=" + new String(value, US_ASCII)));
        assertEquals(List.of("10.0.0.0=z", "10.0.0.2=b", "10.0.0.3=c", "10.0.0.4=d"), out);
    }
}
