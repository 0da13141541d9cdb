package org.poplock.readlog.socketmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import org.poplock.common.address.IpAddress;

/**
 * The socketmap codec over any bytes, as a client sends them: a request is taken only for a whole
 * netstring of printable text {@code MAPNAME KEY}, whose bytes written again are exactly those it
 * took; every beginning of it asks for more; what is not a request's beginning is trouble, never
 * a request; a key yields only a canonical address, the one its text names.
 */
class SocketmapFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void requests(byte[] input) {
        int at = 0;
        while (at < input.length) {
            var rest = Arrays.copyOfRange(input, at, input.length);
            var decoded = SocketmapCodec.decode(rest, rest.length);
            if (decoded.trouble() != null) {
                assertNull(decoded.request());
                return;
            }
            if (decoded.request() == null) {
                assertSame(SocketmapCodec.MORE, decoded);
                assertTrue(rest.length <= SocketmapCodec.MAX_REQUEST + 6, "more asked past the longest request");
                return;
            }
            var request = decoded.request();
            var text = request.map() + " " + request.key();
            assertTrue(!request.map().isEmpty() && request.map().indexOf(' ') < 0, "map name " + request.map());
            assertTrue(text.chars().allMatch(c -> c >= 0x20 && c <= 0x7e), "printable: " + text);
            var again = SocketmapCodec.netstring(text);
            assertArrayEquals(again, Arrays.copyOfRange(rest, 0, decoded.consumed()), "the bytes taken are the request written again");
            for (int n = 0; n < decoded.consumed(); n++) {
                assertSame(SocketmapCodec.MORE, SocketmapCodec.decode(rest, n), "a beginning of " + decoded.consumed() + " bytes: " + n);
            }
            var named = request.key().replaceFirst("(?i)^(connect:)?(ipv6:)?", "");
            var address = SocketmapCodec.address(request.key());
            if (IpAddress.bytesOrNull(named) == null) {
                assertNull(address, "no address in " + request.key());
            } else {
                assertEquals(IpAddress.canonical(named), address, "the canonical form of the address " + request.key() + " names");
            }
            at += decoded.consumed();
        }
    }
}
