package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .deb the build made: installed by dpkg into a {@link ThrowawayRoot}, its launchers run from
 * there, then removed and purged; and lintian finds no error and no command without a man page.
 */
class DebianPackageIT {

    static final Path DEB = Built.deb();

    @TempDir
    Path dir;

    private static String run(List<String> cmd, Map<String, String> env) throws Exception {
        return ThrowawayRoot.run(cmd, env);
    }

    @Test
    void installsRunsRemovesAndPurgesInAThrowawayRoot() throws Exception {
        var installed = ThrowawayRoot.create(dir);
        var root = installed.path();
        installed.dpkg("-i", DEB.toString());

        assertTrue(Files.isSymbolicLink(root.resolve("usr/bin/relaylock")));
        assertEquals("../share/poplock/bin/relaylock", Files.readSymbolicLink(root.resolve("usr/bin/relaylock")).toString());
        assertTrue(Files.exists(root.resolve("etc/poplock/poplock.conf")));
        assertTrue(Files.exists(root.resolve("lib/systemd/system/poplock-readlog.service")));
        assertTrue(Files.isExecutable(root.resolve("usr/share/poplock/service/smtpd/run")));
        assertTrue(Files.readString(root.resolve("etc/passwd")).contains("\npoplock:"), "postinst made the system user");
        assertTrue(Files.readAllLines(root.resolve("etc/group")).stream().anyMatch(l -> l.matches("adm:.*[:,]poplock(,.*)?")),
                "poplock is in adm, which may read the mail log");
        var owner = Files.getOwner(root.resolve("var/lib/poplock")).getName();
        assertTrue(owner.equals("poplock") || owner.matches("\\d+"), owner);
        assertTrue(Files.list(root.resolve("usr/share/poplock/lib/cds")).findAny().isPresent(), "postinst made relaylock's class archive");

        // The installed launchers, as installed (their own directory decides where the jars are).
        var bin = root.resolve("usr/share/poplock/bin");
        var log = Files.writeString(dir.resolve("mail.log"), Dovecot.login(Instant.now(), "pop3", "192.0.2.95", "installed"));
        var db = dir.resolve("relay.db");
        var env = Map.of("POPLOCK_CONFIG", root.resolve("etc/poplock/poplock.conf").toString());
        run(List.of(bin.resolve("readlog").toString(), "--once", "--log", log.toString(), "--db", db.toString()), env);
        assertTrue(run(List.of(bin.resolve("showallowed").toString(), "--db", db.toString()), env).contains("installed"));
        var version = run(List.of("dpkg-deb", "--field", DEB.toString(), "Version"), Map.of()).strip();
        assertEquals(DEB.getFileName().toString(), "poplock_" + version + "_amd64.deb", "the file is named by the package's version");
        assertEquals(version, Built.version().replace('-', '~'), "the project's version, as Debian orders a snapshot before its release");
        var changelog = run(List.of("sh", "-c", "zcat \"$0\" | head -1", root.resolve("usr/share/doc/poplock/changelog.gz").toString()), Map.of());
        assertEquals("poplock (" + version + ")", changelog.substring(0, changelog.indexOf(')') + 1), "the changelog's latest entry is this version");
        for (var command : List.of("readlog", "relaylock", "showallowed")) {
            assertEquals(command + " (poplock) " + Built.version() + "\n", run(List.of(bin.resolve(command).toString(), "--version"), env));
        }
        var relay = run(List.of(bin.resolve("relaylock").toString(), "--db", db.toString(), "/usr/bin/env"),
                Map.of("TCPREMOTEIP", "192.0.2.95"));
        assertTrue(relay.lines().anyMatch("RELAYCLIENT="::equals), relay);

        installed.dpkg("-r", "poplock");
        assertFalse(Files.exists(root.resolve("usr/share/poplock/lib")), "removed");
        assertTrue(Files.exists(root.resolve("etc/poplock/poplock.conf")), "a conffile stays until purge");
        installed.dpkg("-P", "poplock");
        assertFalse(Files.exists(root.resolve("etc/poplock")), "purged");
        assertFalse(Files.exists(root.resolve("var/lib/poplock")), "purged");
        assertFalse(Files.readString(root.resolve("etc/passwd")).contains("\npoplock:"), "the user is gone");
    }

    /**
     * The directory of the README's Postfix recipe, in Postfix's chroot: made when Postfix comes after
     * poplock (the trigger on /var/spool/postfix, activated here by a stand-in package that ships
     * that directory as Debian's postfix does), and when poplock is installed with Postfix there;
     * gone at purge.
     */
    @Test
    void makesThePolicySocketsDirectoryInPostfixsChrootWhetherPostfixComesBeforeOrAfter() throws Exception {
        var postfix = Files.readAllLines(Path.of("/etc/group")).stream().filter(l -> l.startsWith("postfix:")).findFirst();
        Launchers.assumeOrInCiRequire(postfix.isPresent(), "needs the group postfix (Debian's postfix package makes it)");
        var installed = ThrowawayRoot.create(dir);
        var root = installed.path();
        installed.dpkg("-i", DEB.toString());
        var socketDirectory = root.resolve("var/spool/postfix/poplock");
        assertFalse(Files.exists(socketDirectory), "no Postfix, no directory in its chroot");

        var standIn = Files.createDirectories(dir.resolve("stand-in"));
        Files.createDirectories(standIn.resolve("DEBIAN"));
        Files.createDirectories(standIn.resolve("var/spool/postfix"));
        Files.writeString(standIn.resolve("DEBIAN/control"), String.join("\n", "Package: postfix-chroot-stand-in", "Version: 1",
                "Architecture: all", "Maintainer: poplock tests <root@localhost>", "Description: ships /var/spool/postfix as postfix does", ""));
        run(List.of("dpkg-deb", "--root-owner-group", "--build", standIn.toString(), dir.resolve("stand-in.deb").toString()), Map.of());
        installed.dpkg("-i", dir.resolve("stand-in.deb").toString());
        assertTrue(Files.readString(root.resolve("var/lib/dpkg/status")).contains("Package: poplock\nStatus: install ok triggers-pending"),
                "Postfix's directory activated poplock's trigger");
        // What dpkg runs for the pending trigger (here it refuses, the throwaway root lacking poplock's dependencies).
        run(List.of("sh", root.resolve("var/lib/dpkg/info/poplock.postinst").toString(), "triggered", "/var/spool/postfix"),
                Map.of("DPKG_ROOT", root.toString()));
        assertSocketDirectory(socketDirectory, root, postfix.get());

        Files.delete(socketDirectory);
        installed.dpkg("-i", DEB.toString());
        assertSocketDirectory(socketDirectory, root, postfix.get());
        installed.dpkg("-P", "poplock");
        assertFalse(Files.exists(socketDirectory), "purged");
    }

    private static void assertSocketDirectory(Path socketDirectory, Path root, String postfixGroupLine) throws IOException {
        var poplockUid = Files.readAllLines(root.resolve("etc/passwd")).stream().filter(l -> l.startsWith("poplock:"))
                .map(l -> Integer.parseInt(l.split(":")[2])).findFirst().orElseThrow();
        assertEquals(poplockUid, Files.getAttribute(socketDirectory, "unix:uid"), "readlog's user owns it");
        assertEquals(Integer.parseInt(postfixGroupLine.split(":")[2]), Files.getAttribute(socketDirectory, "unix:gid"), "group postfix");
        assertEquals("2750", Integer.toOctalString((Integer) Files.getAttribute(socketDirectory, "unix:mode") & 07777),
                "set-group-ID, so that its sockets are postfix's group; nothing for others");
    }

    @Test
    void lintianFindsNoErrorAndEveryCommandHasAManPage() throws Exception {
        var p = new ProcessBuilder("lintian", DEB.toString()).redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertTrue(out.lines().noneMatch(l -> l.startsWith("E: ")), out);
        assertTrue(out.lines().noneMatch(l -> l.contains("no-manual-page")), out);
    }
}
