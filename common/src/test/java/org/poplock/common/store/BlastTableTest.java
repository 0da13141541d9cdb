package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file readlog publishes for showallowed, written and read back. */
class BlastTableTest {

    @TempDir
    Path dir;

    private static final long HOUR = 3_600_000;
    private static final long END = 1_000 * HOUR;

    private static BudgetUsage usage() {
        return new BudgetUsage(10, 500, HOUR, END, new TreeMap<>(Map.of("192.0.2.7", new BudgetUsage.Grant(7, 2), "2001:db8::1",
                new BudgetUsage.Grant(11, 11))), new TreeMap<>(Map.of("alice", 18L, "bob b", 1L)));
    }

    @Test
    void theUsageComesBackAsItWasWrittenBesideTheSharedAddressesAndFlags() throws IOException {
        var file = dir.resolve("relay.db.blast");
        var table = BlastTable.of(Map.of("192.0.2.7", List.of("alice", "bob b")), Map.of("mallory", 123L), usage());
        table.write(file, "rw-r-----", null);
        var back = BlastTable.read(file);
        assertEquals(table, back);
        assertEquals(new BudgetUsage.Grant(7, 2), back.budget().grant("192.0.2.7", END - 1));
        assertEquals(18, back.budget().user("alice", END - 1));
        assertEquals(new BudgetUsage.Grant(0, 0), back.budget().grant("198.51.100.1", END - 1), "a grant that sent nothing");
        assertEquals(new BudgetUsage.Grant(0, 0), back.budget().grant("192.0.2.7", END), "the window has ended: nothing of it counts");
        assertEquals(END + HOUR, back.budget().endAt(END + 5));
    }

    @Test
    void budgetsOnWithNothingSentAreStillPublishedAndOffAddNoKey() throws IOException {
        var file = dir.resolve("relay.db.blast");
        var idle = BlastTable.of(Map.of(), Map.of(), new BudgetUsage(3, 0, HOUR, END, new TreeMap<>(), new TreeMap<>()));
        assertFalse(idle.isEmpty(), "showallowed needs the limits to show 0/3");
        idle.write(file, "rw-r-----", null);
        assertEquals(idle, BlastTable.read(file));

        BlastTable.of(Map.of("192.0.2.7", List.of("alice", "bob")), Map.of()).write(file, "rw-r-----", null);
        var keys = new ArrayList<String>();
        RelayDatabase.forEachStored(file, (key, value) -> keys.add(key));
        assertEquals(List.of("shared 192.0.2.7"), keys);
        assertEquals(BudgetUsage.OFF, BlastTable.read(file).budget());
        assertTrue(BlastTable.of(Map.of(), Map.of(), BudgetUsage.OFF).isEmpty());
    }

    @Test
    void aDamagedUsageIsOneLine() throws IOException {
        var file = dir.resolve("relay.db.blast");
        var sorted = new TreeMap<String, byte[]>();
        sorted.put("budget", "3 0 3600000 99".getBytes(StandardCharsets.US_ASCII));
        sorted.put("usage 192.0.2.7", "seven".getBytes(StandardCharsets.US_ASCII));
        RelayDatabase.publishEncoded(file, sorted);
        var e = assertThrows(IOException.class, () -> BlastTable.read(file));
        assertEquals(file + " is not readlog's table of shared addresses and flags: the usage of 192.0.2.7 is not two numbers", e.getMessage());
    }

    @Test
    void aWindowEndingBeyondTheYear9999IsOneLineNotANonsenseDate() throws IOException {
        var file = dir.resolve("relay.db.blast");
        var sorted = new TreeMap<String, byte[]>();
        sorted.put("budget", "5 0 9223372036854775807 1".getBytes(StandardCharsets.US_ASCII));
        RelayDatabase.publishEncoded(file, sorted);
        var e = assertThrows(IOException.class, () -> BlastTable.read(file));
        assertTrue(e.getMessage().endsWith("the budgets' limits are not four numbers (a window and its end before the year 10000)"), e.getMessage());
    }
}
