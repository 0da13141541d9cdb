package org.poplock.readlog.shared;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.poplock.common.address.Cidr;

/**
 * Which addresses many people share (a carrier's or a hotel's NAT): more than {@code mostUsers}
 * distinct users logged in from it within the timeout, or it lies in one of {@code networks} (the
 * admin's list, and RFC 6598's shared address space 100.64.0.0/10 always); and what a login from
 * one earns.
 */
public record SharedAddresses(int mostUsers, List<Cidr> networks, Grant grant, Duration shorter) {

    /** What a login from a shared address earns: a grant as any other, one of {@code shorter}, or none. */
    public enum Grant { FULL, SHORTER, NONE }

    public static final Cidr CARRIER_NAT = Cidr.parse("100.64.0.0/10");

    public SharedAddresses {
        networks = List.copyOf(networks);
    }

    /** Whether {@code ip}, from which {@code users} distinct users logged in within the timeout, is shared. */
    public boolean isShared(String ip, int users) {
        return users > mostUsers || inNetworks(ip);
    }

    public boolean inNetworks(String ip) {
        if (CARRIER_NAT.contains(ip)) {
            return true;
        }
        for (var n : networks) {
            if (n.contains(ip)) {
                return true;
            }
        }
        return false;
    }

    /** How long a grant from a shared address lasts, for a login whose grant would last {@code timeout}: zero for none. */
    public Duration grantFor(Duration timeout) {
        return switch (grant) {
            case FULL -> timeout;
            case SHORTER -> shorter.compareTo(timeout) < 0 ? shorter : timeout;
            case NONE -> Duration.ZERO;
        };
    }

    /** A file of networks, one CIDR a line, {@code #} comments; IllegalArgumentException naming the line of a bad one. */
    public static List<Cidr> readNetworks(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("--shared-networks: cannot read " + file + ": " + e.getMessage());
        }
        var out = new ArrayList<Cidr>();
        for (int i = 0; i < lines.size(); i++) {
            var line = lines.get(i).replaceFirst("#.*", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                out.add(Cidr.parse(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage());
            }
        }
        return out;
    }
}
