package org.poplock.common.address;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void hostAndPortWithAnIpv6AddressInBrackets() {
        assertEquals(new HostPort("redis.example", 6379), HostPort.parse("redis.example:6379"));
        assertEquals(new HostPort("127.0.0.1", 1), HostPort.parse("127.0.0.1:1"));
        assertEquals(new HostPort("2001:db8::1", 65535), HostPort.parse("[2001:db8::1]:65535"));
    }

    @Test
    void writtenBackAsRead() {
        assertEquals("[2001:db8::1]:26379", HostPort.parse("[2001:db8::1]:26379").toString());
        assertEquals("s:26379", HostPort.parse("s:26379").toString());
    }

    @Test
    void noHostOrNoPortIsNotHostPort() {
        for (var text : new String[] {"redis", ":6379", "redis:", ""}) {
            assertEquals(HostPort.NOT_HOST_PORT, assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text)).getMessage(), text);
        }
    }

    @Test
    void aPortIsANumberFrom1To65535() {
        for (var text : new String[] {"r:0", "r:65536", "r:99999", "r:123456", "r:http", "r:-1", "r:+1"}) {
            assertEquals(HostPort.BAD_PORT, assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text)).getMessage(), text);
        }
    }
}
