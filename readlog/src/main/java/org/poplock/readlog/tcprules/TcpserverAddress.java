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
        if (b.length == 4 || IpAddress.format(b).indexOf(':') < 0) {
            return IpAddress.format(b); // IPv4, or v4-mapped: tcpserver converts those before the lookup
        }
        var groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (b[2 * i] & 0xff) << 8 | b[2 * i + 1] & 0xff;
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        var out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            out.append(Integer.toHexString(groups[i]));
            if (i < 7) {
                out.append(':');
            }
        }
        return out.toString();
    }
}
