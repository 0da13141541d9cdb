package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snippets of the README and docs/ work as printed, checked by the tools that read them:
 * Postfix's main.cf lines by postconf on a private configuration directory, the Exim ACL by
 * Exim itself (its configuration check, then a dialogue against a real readlog), the systemd unit
 * and the run scripts shown "as shipped" against the shipped files and by systemd-analyze and
 * sh -n, and every shell snippet by bash -n. The configuration-file examples are
 * ConfigurationDocTest's.
 */
class DocSnippetsIT {

    static final Path ROOT = ConfigurationDocTest.ROOT;

    @TempDir
    Path dir;

    @RegisterExtension
    final Processes processes = new Processes();

    record Ran(int status, String output) {
    }

    private static Ran run(Map<String, String> env, String... cmd) throws Exception {
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        var p = pb.start();
        p.getOutputStream().close();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " ended");
        return new Ran(p.exitValue(), out);
    }

    /** The fenced blocks of a page with the given info string ("" for none), in order. */
    private static List<String> blocks(String page, String info) throws Exception {
        var out = new ArrayList<String>();
        String open = null;
        var body = new StringBuilder();
        for (var line : Files.readAllLines(ROOT.resolve(page))) {
            if (open == null && line.startsWith("```")) {
                open = line.substring(3);
                body.setLength(0);
            } else if (open != null && line.equals("```")) {
                if (open.equals(info)) {
                    out.add(body.toString());
                }
                open = null;
            } else if (open != null) {
                body.append(line).append('\n');
            }
        }
        return out;
    }

    /** A block that follows the line naming it: "`NAME`, as shipped". */
    private static String shipped(String page, String name) throws Exception {
        var text = Files.readString(ROOT.resolve(page));
        var m = Pattern.compile("`" + Pattern.quote(name) + "`, as shipped[^\\n]*\\n\\n```[a-z]*\\n(.*?)```", Pattern.DOTALL).matcher(text);
        assertTrue(m.find(), page + " shows " + name + " as shipped");
        return m.group(1);
    }

    /** A script's or unit's lines without its comments, blank lines and #! line. */
    private static List<String> meaningful(String text) {
        return text.lines().filter(l -> !l.isBlank() && !l.stripLeading().startsWith("#")).toList();
    }

    @Test
    void postfixMainCfLinesPassPostconfOnAPrivateConfiguration() throws Exception {
        var snippets = new ArrayList<String>();
        for (var block : blocks("docs/postfix-exim.md", "")) {
            if (block.startsWith("smtpd_relay_restrictions =")) {
                snippets.add(block);
            }
        }
        var readme = Files.readString(ROOT.resolve("README.md"));
        var postconfE = Pattern.compile("(?m)^postconf -e '([^']*)'$").matcher(readme);
        var commands = new ArrayList<String>();
        while (postconfE.find()) {
            commands.add(postconfE.group(1));
        }
        assertEquals(2, snippets.size(), "docs/postfix-exim.md: the inet and the unix socket's main.cf lines");
        assertEquals(1, commands.size(), "README's Postfix quick start: one postconf -e");
        int n = 0;
        for (var setting : snippets) {
            checkMainCf(Files.createDirectories(dir.resolve("postfix-" + n++)), setting, List.of());
        }
        checkMainCf(Files.createDirectories(dir.resolve("postfix-readme")), "", commands);
    }

    /** main.cf with {@code text}, then each postconf -e of {@code edits}: postconf warns of nothing and sees the policy service. */
    private static void checkMainCf(Path config, String text, List<String> edits) throws Exception {
        Files.copy(Path.of("/usr/share/postfix/master.cf.dist"), config.resolve("master.cf"));
        Files.writeString(config.resolve("main.cf"), text);
        for (var edit : edits) {
            var e = run(Map.of(), "/usr/sbin/postconf", "-c", config.toString(), "-e", edit);
            assertEquals(new Ran(0, ""), e, "postconf -e " + edit);
        }
        var shown = run(Map.of(), "/usr/sbin/postconf", "-c", config.toString(), "-n");
        assertEquals(0, shown.status(), shown.output());
        assertTrue(!shown.output().contains("warning") && shown.output().contains("smtpd_relay_restrictions = permit_mynetworks, check_policy_service {"),
                "postconf -n on " + text + edits + ":\n" + shown.output());
    }

    /** readlog following a log in which 192.0.2.7 logged in, its policy service on {@code port}. */
    private void readlogGranting192027(int port) throws Exception {
        var log = dir.resolve("mail.log");
        Files.writeString(log, Dovecot.login(Instant.now(), "imap", "192.0.2.7", "alice"));
        var readlog = processes.start(Launchers.command("readlog", Map.of(), "--log", log.toString(), "--db", dir.resolve("relay.db").toString(),
                "--policy", "inet:127.0.0.1:" + port).redirectOutput(ProcessBuilder.Redirect.DISCARD));
        var err = new Launchers.StreamText(readlog.getErrorStream());
        Launchers.await(Duration.ofSeconds(30), "readlog's policy service", () -> err.soFar().contains("answering policy"));
        Launchers.await(Duration.ofSeconds(30), "the login read and published", () -> Launchers.publishedIps(dir.resolve("relay.db")).contains("192.0.2.7"));
    }

    @Test
    void thePostfixQuickStartsCheckAsksThePolicyServiceAsPrinted() throws Exception {
        var readme = Files.readString(ROOT.resolve("README.md"));
        var ask = readme.lines().filter(l -> l.startsWith("ask() {")).toList();
        assertEquals(1, ask.size(), "README's Postfix check defines ask");
        assertTrue(readme.contains("ask 192.0.2.7     # action=OK\nask 192.0.2.8     # action=DUNNO\n"), "README says what each answer is");
        int port = RedisServer.freePort();
        readlogGranting192027(port);
        var asked = run(Map.of(), "bash", "-c", ask.get(0).replace("/dev/tcp/127.0.0.1/10040", "/dev/tcp/127.0.0.1/" + port)
                + "\nask 192.0.2.7\nask 192.0.2.8\n");
        assertEquals(new Ran(0, "action=OK\naction=DUNNO\n"), asked);
    }

    @Test
    void theEximAclTakesAGrantedAddressAndRefusesAnother() throws Exception {
        var exim = System.getenv("POPLOCK_EXIM");
        assertTrue(exim != null && Files.isExecutable(Path.of(exim)), "POPLOCK_EXIM names Exim's binary (.ci/run unpacks it): " + exim);
        var acls = new ArrayList<String>();
        for (var page : List.of("README.md", "docs/postfix-exim.md")) {
            for (var block : blocks(page, "")) {
                if (block.contains("${readsocket{inet:127.0.0.1:10040}")) {
                    acls.add(block);
                }
            }
        }
        assertEquals(2, acls.size(), "the README's and docs/postfix-exim.md's ACL");
        int port = RedisServer.freePort();
        readlogGranting192027(port);
        int n = 0;
        for (var acl : acls) {
            // The README shows the condition alone, docs/ with its ACL's name: the condition goes first in acl_check_rcpt.
            var condition = acl.lines().filter(l -> !l.startsWith("acl_check_rcpt:") && !l.stripLeading().startsWith("#")).toList();
            var conf = dir.resolve("exim-" + n++ + ".conf");
            Files.createDirectories(dir.resolve("spool"));
            Files.createDirectories(dir.resolve("log"));
            Files.writeString(conf, String.join("\n", List.of(
                    "primary_hostname = mx.local.test",
                    "domainlist local_domains = local.test",
                    "exim_user = root",
                    "exim_group = root",
                    "never_users =",
                    "spool_directory = " + dir.resolve("spool"),
                    "log_file_path = " + dir.resolve("log") + "/%slog",
                    "acl_smtp_rcpt = acl_check_rcpt",
                    "begin acl",
                    "acl_check_rcpt:",
                    String.join("\n", condition).replace("inet:127.0.0.1:10040", "inet:127.0.0.1:" + port),
                    "  accept  domains = +local_domains",
                    "  deny    message = relay not permitted",
                    "")));
            var check = run(Map.of(), exim, "-C", conf.toString(), "-bV");
            assertEquals(0, check.status(), "exim -bV on " + acl + ":\n" + check.output());
            assertEquals("250 Accepted", rcpt(exim, conf, "192.0.2.7"), "a granted address may relay, with " + acl);
            assertEquals("550 relay not permitted", rcpt(exim, conf, "192.0.2.8"), "another may not, with " + acl);
        }
    }

    private static String rcpt(String exim, Path conf, String source) throws Exception {
        var p = new ProcessBuilder(exim, "-C", conf.toString(), "-bh", source).redirectErrorStream(true).start();
        p.getOutputStream().write("EHLO client\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out.lines().filter(l -> l.startsWith("250 Accepted") || l.startsWith("550 ")).findFirst().orElse(out);
    }

    @Test
    void theUnitShownIsTheShippedOneAndSystemdAnalyzeFindsNothingInIt() throws Exception {
        var unitFile = Path.of("src/deb/systemd/poplock-readlog.service").toAbsolutePath();
        var unit = Files.readString(unitFile);
        assertEquals(meaningful(unit), meaningful(shipped("docs/operations.md", "/lib/systemd/system/poplock-readlog.service")));
        var analyze = Path.of("/usr/bin/systemd-analyze");
        Launchers.assumeOrInCiRequire(Files.isExecutable(analyze), "systemd-analyze (Debian's systemd; .ci/run installs it)");
        // verify wants ExecStart's program to exist: the checkout's launcher stands in for /usr/bin/readlog.
        var copy = Files.writeString(dir.resolve("poplock-readlog.service"),
                unit.replace("ExecStart=/usr/bin/readlog", "ExecStart=" + Launchers.BIN.resolve("readlog")));
        var verify = run(Map.of("SYSTEMD_LOG_COLOR", "0"), analyze.toString(), "verify", copy.toString());
        // verify loads the machine's other units too and warns of theirs: only what it says of ours counts.
        var ours = String.join("\n", verify.output().lines().filter(l -> !l.matches("^/(lib|usr/lib|etc)/systemd/system/.*")).toList());
        assertEquals(new Ran(0, ""), new Ran(verify.status(), ours), "systemd-analyze verify: " + verify.output());
    }

    @Test
    void theRunScriptsShownAreTheShippedOnesAndEveryShellSnippetParses() throws Exception {
        var service = Path.of("src/deb/service").toAbsolutePath();
        for (var name : List.of("readlog/run", "smtpd/run")) {
            assertEquals(meaningful(Files.readString(service.resolve(name))), meaningful(shipped("docs/operations.md", name)), name);
        }
        try (var scripts = Files.walk(service)) {
            for (var script : scripts.filter(p -> p.getFileName().toString().equals("run")).toList()) {
                assertEquals(new Ran(0, ""), run(Map.of(), "sh", "-n", script.toString()), script.toString());
            }
        }
        int n = 0;
        for (var page : ConfigurationDocTest.guide()) {
            for (var block : blocks(ROOT.relativize(page).toString(), "sh")) {
                var file = Files.writeString(dir.resolve("snippet-" + n++ + ".sh"), block);
                assertEquals(new Ran(0, ""), run(Map.of(), "bash", "-n", file.toString()), ROOT.relativize(page) + ":\n" + block);
            }
        }
        assertTrue(n >= 10, "the README and docs/ hold shell snippets: " + n);
    }
}
