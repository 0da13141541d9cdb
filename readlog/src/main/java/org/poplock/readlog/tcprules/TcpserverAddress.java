package org.poplock.readlog.tcprules;

import org.poplock.common.address.IpAddress;

/**
 * A client address as tcpserver writes TCPREMOTEIP and looks it up in its rules: IPv4 as
 * dotted quads; with ucspi-tcp-ipv6, an IPv6 address in lower-case hex with the longest run of
 * zero groups (even a single one, the first of equal runs) written as {@code ::}, and a v4-mapped
 * one as IPv4. The database's canonical form (RFC 5952) leaves a single zero group as {@code 0}.
 */
public final class TcpserverAddress {

    private TcpserverAddress() {
    }

    /** {@code ip}, a literal address, as tcpserver writes it; throws IllegalArgumentException for anything else. */
    public static String of(String ip) {
        var b = IpAddress.bytesOrNull(ip);
        if (b == null) {
            throw new IllegalArgumentException("not an address: " + ip);
        }
        return IpAddress.formatAsTcpserver(b);
    }
}
