package org.poplock.readlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.poplock.common.store.RelayEntry;

/**
 * The high-volume alternative to relaylock: a tcpserver rules CDB in which every live IPv4 entry
 * is {@code IP:allow,RELAYCLIENT=""}, followed by the admin's own rules, built with ucspi-tcp's
 * {@code tcprules}, which writes a temporary file and renames it over the CDB, so tcpserver
 * always opens a complete one. tcpserver then sets RELAYCLIENT itself, with no program per
 * connection. (The rule syntax of ucspi-tcp 0.88 has no IPv6 addresses: IPv6 clients need relaylock.)
 */
record TcpRules(Path cdb, Path adminRules) {

    void write(List<RelayEntry> live) throws IOException {
        var rules = new StringBuilder();
        for (var e : live) {
            if (e.ip().indexOf(':') < 0) {
                rules.append(e.ip()).append(":allow,RELAYCLIENT=\"\"\n");
            }
        }
        if (adminRules != null) {
            rules.append(Files.readString(adminRules, StandardCharsets.UTF_8));
            if (rules.length() > 0 && rules.charAt(rules.length() - 1) != '\n') {
                rules.append('\n');
            }
        }
        var tmp = cdb.resolveSibling(cdb.getFileName() + ".tmp");
        var process = new ProcessBuilder("tcprules", cdb.toString(), tmp.toString())
                .redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            in.write(rules.toString().getBytes(StandardCharsets.UTF_8));
        }
        var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("tcprules " + cdb + " failed: " + (out.isEmpty() ? "exit " + process.exitValue() : out));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while tcprules ran");
        }
    }
}
