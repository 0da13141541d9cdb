package org.poplock.readlog.tcprules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random rules files, compiled by the real tcprules and asked of the real tcprulescheck: RulesFile
 * must refuse what tcprules refuses, and choose for each client address what tcpserver follows
 * (deny, or allow with these variables). Both ucspi-tcp 0.88 and ucspi-tcp-ipv6.
 */
class RulesFilePropertyTest {

    static final Path IPV6_BIN = Path.of(System.getenv().getOrDefault("POPLOCK_TCPSERVER6",
            System.getProperty("user.home") + "/.cache/poplock-test/ucspi-tcp-ipv6/usr/bin/tcpserver")).getParent();

    @TempDir
    Path dir;

    @Test
    void ucspiTcp() throws Exception {
        check("", false, new Random(22), 150);
    }

    @Test
    void ucspiTcpIpv6() throws Exception {
        assertTrue(Files.isExecutable(IPV6_BIN.resolve("tcprules")), "ucspi-tcp-ipv6 unpacked by .ci/run at " + IPV6_BIN);
        check(IPV6_BIN + "/", true, new Random(6), 150);
    }

    private void check(String bin, boolean ipv6, Random random, int files) throws Exception {
        int compiled = 0;
        for (int n = 0; n < files; n++) {
            var text = rulesFile(random, ipv6);
            Optional<RulesFile> mine;
            try {
                mine = Optional.of(RulesFile.parse(text, ipv6));
            } catch (IllegalArgumentException e) {
                mine = Optional.empty();
            }
            var cdb = dir.resolve("r" + n + ".cdb");
            // The IPv6 tcprules never finishes on some lines RulesFile refuses: a refused run is bounded here.
            var tcprules = new ProcessBuilder(bin + "tcprules", cdb.toString(), cdb + ".tmp").redirectErrorStream(true).start();
            try (var in = tcprules.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            boolean finished = tcprules.waitFor(mine.isPresent() ? 30 : 2, TimeUnit.SECONDS);
            tcprules.destroyForcibly();
            boolean accepted = finished && tcprules.exitValue() == 0;
            assertEquals(accepted, mine.isPresent(), "tcprules " + (accepted ? "took" : "refused") + ":\n" + text);
            if (!accepted) {
                continue;
            }
            compiled++;
            var lookup = mine.get().lookup();
            for (int i = 0; i < 6; i++) {
                var ip = address(random, ipv6);
                assertEquals(tcprulescheck(bin, cdb, ip), expected(lookup.followed(ip)), ip + " in:\n" + text);
            }
        }
        assertTrue(compiled > files / 3, "enough files tcprules took: " + compiled);
    }

    /** What tcprulescheck prints for the rule, without its "rule KEY:" line. */
    private static String expected(Optional<RulesFile.Rule> rule) {
        if (rule.isEmpty()) {
            return "allow connection";
        }
        if (rule.get().deny()) {
            return "deny connection";
        }
        var out = new StringBuilder();
        rule.get().variables().forEach(v -> out.append("set environment variable ").append(v.name()).append('=').append(v.value()).append('\n'));
        return out + "allow connection";
    }

    private static String tcprulescheck(String bin, Path cdb, String ip) throws IOException, InterruptedException {
        var pb = new ProcessBuilder(bin + "tcprulescheck", cdb.toString()).redirectErrorStream(true);
        pb.environment().put("TCPREMOTEIP", ip);
        pb.environment().remove("TCPREMOTEINFO");
        pb.environment().remove("TCPREMOTEHOST");
        var p = pb.start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        var lines = new ArrayList<>(List.of(out.strip().split("\n")));
        lines.remove(0); // "rule KEY:" or "default:"
        return String.join("\n", lines);
    }

    private static final String[] V4 = {"10.0.0.1", "10.0.0.2", "10.0.1.7", "10.1.0.1", "192.0.2.66", "192.0.2.10", "10.2.5.5", "10.3.0.9"};
    private static final String[] V6 = {"::1", "fd00:5eed::25", "fd00:5eed::1", "fd00:5eed:1::2", "fd00::1", "2001:db8::1"};

    private static String address(Random r, boolean ipv6) {
        return ipv6 && r.nextBoolean() ? V6[r.nextInt(V6.length)] : V4[r.nextInt(V4.length)];
    }

    private static String rulesFile(Random r, boolean ipv6) {
        var out = new StringBuilder();
        int lines = 1 + r.nextInt(8);
        for (int i = 0; i < lines; i++) {
            out.append(line(r, ipv6)).append(r.nextInt(10) == 0 ? " \t" : "").append('\n');
        }
        return out.toString();
    }

    private static String line(Random r, boolean ipv6) {
        switch (r.nextInt(40)) {
            case 0: return "# a comment:deny";
            case 1: return "";
            case 2: return "10.0.0.1";
            case 3: return "10.0.0.1:";
            case 4: return "10.0.0.1:Allow";
            case 5: return "10.0.0.1:allow,X";
            case 6: return "10.0.0.1:allow,X=\"a";
            case 7: return "joe@10.0.0.1:deny";
            case 8: return "=host.example:deny";
            default: break;
        }
        var address = pick(r, "10.0.0.1", "10.0.0.2", "10.0.", "10.", "10.0.0.1-2", "10.0.0.2-1", "10.0-1.", "10.2-3.", "192.0.2.",
                "192.0.2.66", "192.0.2.10-300", "", "", "10.0.0.", "10.0.1.7", "1-3.0.0.1", "10.0.0.-1");
        if (ipv6 && r.nextInt(3) == 0) {
            address = pick(r, "::1", "fd00:5eed::25", "fd00:5eed:", "fd00:5eed::", "fd00:", "fd00::", "fd00:5eed:1:", "2001:db8::1");
        }
        var instructions = new StringBuilder(r.nextInt(3) == 0 ? "deny" : "allow");
        int variables = r.nextInt(4);
        for (int v = 0; v < variables; v++) {
            var name = pick(r, "RELAYCLIENT", "QMAILQUEUE", "DATABYTES", "X");
            var value = pick(r, "", "/usr/local/bin/scanner", "a:b", "1000000", "a,b");
            char delimiter = value.contains(",") ? '/' : pick(r, "\"", "'", "/").charAt(0);
            instructions.append(',').append(name).append('=').append(delimiter).append(value).append(delimiter);
        }
        return address + ":" + instructions;
    }

    private static String pick(Random r, String... choices) {
        return choices[r.nextInt(choices.length)];
    }
}
