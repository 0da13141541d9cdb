package org.poplock.common.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.Map;
import org.poplock.common.store.RelayLookup.Damaged;

/**
 * A file in blocks of 4 KiB, each read once with a positioned read when first touched: a lookup
 * reads the few blocks its search probes, whatever the file's size.
 */
final class FileBlocks {

    private static final int SHIFT = 12;

    private final FileChannel channel;
    final int length;
    private final Map<Integer, byte[]> read = new HashMap<>();

    FileBlocks(FileChannel channel, long size) throws Damaged {
        if (size > Integer.MAX_VALUE) {
            throw new Damaged("larger than 2 GiB");
        }
        this.channel = channel;
        this.length = (int) size;
    }

    int get(int pos) throws Damaged {
        return block(pos >>> SHIFT)[pos & ((1 << SHIFT) - 1)];
    }

    private byte[] block(int number) throws Damaged {
        var block = read.get(number);
        if (block == null) {
            long start = (long) number << SHIFT;
            int size = (int) Math.min(1 << SHIFT, length - start);
            if (size <= 0) {
                throw new Damaged("offset past the end");
            }
            var buffer = ByteBuffer.allocate(size);
            try {
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, start + buffer.position()) < 0) {
                        throw new Damaged("truncated while read");
                    }
                }
            } catch (IOException e) {
                throw new Damaged("read error: " + e.getMessage());
            }
            block = buffer.array();
            read.put(number, block);
        }
        return block;
    }

    void close() throws IOException {
        channel.close();
    }
}
