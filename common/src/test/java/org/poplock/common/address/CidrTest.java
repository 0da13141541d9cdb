package org.poplock.common.address;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
        "10.0.0.0/8, 10.255.1.2, true",
        "10.0.0.0/8, 11.0.0.1, false",
        "192.0.2.128/25, 192.0.2.200, true",
        "192.0.2.128/25, 192.0.2.100, false",
        "192.0.2.7, 192.0.2.7, true",
        "192.0.2.7, 192.0.2.8, false",
        "0.0.0.0/0, 203.0.113.1, true",
        "0.0.0.0/0, 2001:db8::1, false",
        "2001:db8::/32, 2001:db8:ffff::1, true",
        "2001:db8::/32, 2001:db9::1, false",
        "::ffff:10.0.0.0/104, 10.1.2.3, true",
        "::ffff:10.0.0.0/104, 11.1.2.3, false",
        "::ffff:10.0.0.0, 10.0.0.0, true",
    })
    void containment(String network, String ip, boolean expected) {
        assertEquals(expected, Cidr.parse(network).contains(ip));
    }

    @ParameterizedTest(name = "rejects {0}")
    @ValueSource(strings = {"10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "example.com/24", "2001:db8::/129", "10/8", "::ffff:10.0.0.0/64"})
    void rejectsBadNetworks(String text) {
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text));
    }
}
