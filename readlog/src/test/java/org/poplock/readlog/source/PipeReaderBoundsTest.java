package org.poplock.readlog.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.poplock.readlog.Supervisor;

/**
 * The FIFO's queue is bounded in bytes as well as in lines: lines near the longest a log may hold
 * (8 KiB) would make a queue of {@link PipeReader#QUEUE_LINES} lines some 800 MB. When the loop
 * does not drain it, the oldest lines go first and are counted.
 */
class PipeReaderBoundsTest {

    @Test
    void aQueueOfLongLinesStopsAt32MiBAndDropsTheOldest() throws Exception {
        int length = 8000;
        int lines = 5000; // 40 MB of text: under the line cap, over the byte cap
        var text = new StringBuilder(lines * (length + 1));
        for (int i = 0; i < lines; i++) {
            var number = String.format("%06d ", i);
            text.append(number).append("x".repeat(length - number.length())).append('\n');
        }
        var said = new ArrayList<String>();
        var reader = PipeReader.stdin(new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.US_ASCII)), new Supervisor(said::add),
                said::add);
        int kept = (int) (PipeReader.QUEUE_BYTES / length);
        long deadline = System.nanoTime() + 60_000_000_000L; // a bounded wait for the reader thread, not a timing
        while (reader.dropped() < lines - kept && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(lines - kept, reader.dropped(), "lines dropped for the byte bound (" + said + ")");
        var taken = new ArrayList<String>();
        assertEquals(kept, reader.poll(taken::add));
        assertTrue(taken.get(0).startsWith(String.format("%06d ", lines - kept)), "the oldest went first: " + taken.get(0).substring(0, 7));
        assertTrue(taken.get(kept - 1).startsWith(String.format("%06d ", lines - 1)));
        reader.close();
    }
}
