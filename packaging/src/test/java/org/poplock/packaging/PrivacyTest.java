package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who logged in from where is readable by root and readlog's group only; relaylock, run as an
 * unprivileged SMTP user, still grants. Checked as the real account nobody.
 */
class PrivacyTest {

    @TempDir
    Path dir;

    @Test
    void noFileWithUserNamesIsReadableByOtherAccountsAndRelaylockStillGrants() throws Exception {
        var setpriv = Path.of("/usr/bin/setpriv");
        Launchers.assumeOrInCiRequire(Files.isExecutable(setpriv) && Launchers.root(), "needs root and setpriv to act as nobody");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        var log = Files.writeString(dir.resolve("mail.log"), Dovecot.login(Instant.now().minusSeconds(5), "pop3", "192.0.2.77", "alice"));
        var db = dir.resolve("relay.db");
        var r = Launchers.run("readlog", Map.of(), "--once", "--log", log.toString(), "--db", db.toString(), "--db-group", "mail");
        assertEquals(0, r.exit(), r.err());

        assertEquals("rw-r--r--", mode(db), "relaylock's database: addresses and times only");
        assertFalse(new String(Files.readAllBytes(db), java.nio.charset.StandardCharsets.ISO_8859_1).contains("alice"), "no user name in " + db);
        var users = dir.resolve("relay.db.users");
        assertEquals("rw-r-----", mode(users));
        assertEquals("mail", Files.readAttributes(users, PosixFileAttributes.class).group().getName(), "--db-group");
        try (var files = Files.list(dir)) {
            for (var f : files.filter(f -> f.getFileName().toString().startsWith("readlog.state")).toList()) {
                assertFalse(mode(f).matches("......r.."), f + " is readable by others: " + mode(f));
            }
        }

        var asNobody = Launchers.asNobody();
        for (var f : List.of(users, dir.resolve("readlog.state"), dir.resolve("readlog.state.lock"))) {
            var cat = run(asNobody, Map.of(), "cat", f.toString());
            assertEquals(1, cat.exit(), f + " readable by nobody: " + cat.out());
        }
        var relay = run(asNobody, Map.of("TCPREMOTEIP", "192.0.2.77"), Launchers.BIN.resolve("relaylock").toString(), "--db", db.toString(),
                Launchers.envReport().toString());
        assertTrue(relay.out().startsWith("RELAYCLIENT=[]\n"), relay.out() + relay.err());
        assertEquals("", relay.err());
        var listing = run(asNobody, Map.of(), Launchers.BIN.resolve("showallowed").toString(), "--db", db.toString());
        assertEquals(0, listing.exit(), listing.err());
        assertTrue(listing.out().contains("192.0.2.77") && !listing.out().contains("alice"), listing.out());
        assertTrue(listing.err().contains("readable by root and readlog's group only"), listing.err());
        var asRoot = Launchers.run("showallowed", Map.of(), "--db", db.toString(), "--json");
        assertTrue(asRoot.out().contains("\"user\":\"alice\""), asRoot.out());
    }

    private static String mode(Path f) throws java.io.IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
    }

    private Launchers.Result run(List<String> prefix, Map<String, String> env, String... cmd) throws Exception {
        var all = new ArrayList<>(prefix);
        all.addAll(List.of(cmd));
        var pb = new ProcessBuilder(all).directory(dir.toFile());
        Launchers.hostFree(pb.environment());
        pb.environment().put("POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + dir);
        pb.environment().putAll(env);
        var p = pb.start();
        p.getOutputStream().close();
        var out = new Launchers.StreamText(p.getInputStream());
        var err = new Launchers.StreamText(p.getErrorStream());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Launchers.Result(p.exitValue(), out.text(), err.text());
    }
}
