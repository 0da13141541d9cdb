package org.poplock.common.address;

/** A network in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}); a bare address is a /32 or /128. */
public record Cidr(byte[] network, int prefix) {

    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        var address = IpAddress.bytesOrNull(slash < 0 ? text : text.substring(0, slash));
        if (address == null) {
            throw new IllegalArgumentException("not a network: " + Printable.of(text) + " (use e.g. 10.0.0.0/8 or 2001:db8::/32)");
        }
        int bits = address.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            var p = text.substring(slash + 1);
            if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > bits) {
                throw new IllegalArgumentException("bad prefix length in " + Printable.of(text));
            }
            prefix = Integer.parseInt(p);
        }
        // A v4-mapped network means the IPv4 one, as addresses are compared in canonical form.
        var canonical = IpAddress.bytesOrNull(IpAddress.format(address));
        if (canonical.length != address.length) {
            if (prefix < 96) {
                throw new IllegalArgumentException("prefix of a v4-mapped network must be at least 96: " + Printable.of(text));
            }
            prefix -= 96;
        }
        return new Cidr(canonical, prefix);
    }

    /** Whether the canonical address {@code ip} lies in this network. */
    public boolean contains(String ip) {
        var b = IpAddress.bytesOrNull(ip);
        if (b == null || b.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (b[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (b[full] & mask) == (network[full] & mask);
    }

    @Override
    public String toString() {
        return IpAddress.format(network) + "/" + prefix;
    }
}
