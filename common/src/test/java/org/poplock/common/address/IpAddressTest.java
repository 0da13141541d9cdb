package org.poplock.common.address;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "1.2.3.4|1.2.3.4",
        "0.0.0.0|0.0.0.0",
        "255.255.255.255|255.255.255.255",
        "::ffff:1.2.3.4|1.2.3.4",
        "::FFFF:10.0.0.1|10.0.0.1",
        "0:0:0:0:0:ffff:0102:0304|1.2.3.4",
        "::1|::1",
        "::|::",
        "2001:DB8::1|2001:db8::1",
        "2001:0db8:0000:0000:0000:0000:0000:0001|2001:db8::1",
        "2001:db8:0:0:1:0:0:1|2001:db8::1:0:0:1",
        "2001:db8:0:1:1:1:1:1|2001:db8:0:1:1:1:1:1",
        "2001:0:0:1:0:0:0:1|2001:0:0:1::1",
        "fe80::1:0:0:0|fe80::1:0:0:0",
        "fe80:0:0:1::|fe80:0:0:1::",
        "1::|1::",
        "::1.2.3.4|::102:304",
        "64:ff9b::192.0.2.33|64:ff9b::c000:221",
    })
    void canonicalForm(String input, String expected) {
        assertEquals(expected, IpAddress.canonical(input));
        assertEquals(expected, IpAddress.parse(input).text());
    }

    @ParameterizedTest(name = "rejects [{0}]")
    @ValueSource(strings = {
        "", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1..2.3",
        "localhost", "mail.example.com", "example", "abc", "fe80::1%eth0", "[::1]", ":::", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7", "1::2::3", ":1::", "12345::", "::g", "1.2.3.4/32", "::ffff:1.2.3.256", "1:2:3:4:5:6:7:1.2.3.4",
        "\u0661.2.3.4", "\uff11::", "1.2.3.4\n", "-1.2.3.4", "+1.2.3.4", "0x1.2.3.4", "1e0.1.1.1",
    })
    void rejectsAnythingButALiteral(String input) {
        assertFalse(IpAddress.isLiteral(input));
        assertThrows(IllegalArgumentException.class, () -> IpAddress.canonical(input));
    }

    @org.junit.jupiter.api.Test
    void rejectionMessageIsOneSafeLine() {
        var e = assertThrows(IllegalArgumentException.class, () -> IpAddress.canonical("1.2.3.4\nforged line"));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals("not an IP address literal: \"1.2.3.4\\x0aforged line\"", e.getMessage());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "0.0.0.0|0.0.0.0/8", "0.1.2.3|0.0.0.0/8", "255.255.255.255|broadcast", "::ffff:0.0.0.0|0.0.0.0/8",
        "224.0.0.1|multicast", "239.255.255.255|multicast", "240.0.0.1|reserved", "255.255.255.254|reserved",
        "::|unspecified", "ff02::1|multicast", "ff0e::1234|multicast", "::ffff:224.0.0.5|multicast"})
    void addressesNoClientCanHaveAreNamed(String address, String reason) {
        var why = IpAddress.notAClient(IpAddress.canonical(address));
        assertTrue(why != null && why.contains(reason), address + ": " + why);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1", "1.0.0.0", "223.255.255.255", "10.1.2.3", "192.0.2.1", "2001:db8::1", "fe80::1", "feff::1", "::2"})
    void everyOtherAddressCanBeAClients(String address) {
        assertNull(IpAddress.notAClient(IpAddress.canonical(address)), address);
    }
}
