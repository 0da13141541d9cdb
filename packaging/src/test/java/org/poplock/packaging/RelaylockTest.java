package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.poplock.common.store.PublishedTable;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;
import org.poplock.common.store.RelayLookup;

/** relaylock through its real launcher, exec'ing a real program: the contract and its fault matrix. */
class RelaylockTest {

    @TempDir
    Path dir;
    Path db;
    Path tmp;
    Path report;

    @BeforeEach
    void publishOneLiveAndOneExpiredEntry() throws Exception {
        report = Launchers.envReport();
        db = dir.resolve("relay.db");
        tmp = Files.createDirectory(dir.resolve("tmp"));
        var now = Instant.now();
        RelayDatabase.publish(db, List.of(
                RelayEntry.of("192.0.2.10", "alice", now, Duration.ofMinutes(15)),
                RelayEntry.of("2001:db8::10", "bob", now, Duration.ofMinutes(15)),
                RelayEntry.of("192.0.2.20", "carol", now.minus(Duration.ofMinutes(10)), Duration.ofMinutes(15)),
                RelayEntry.of("192.0.2.99", "old", now.minus(Duration.ofMinutes(20)), Duration.ofMinutes(15))));
    }

    private Launchers.Result relaylock(String remoteIp, String... args) throws Exception {
        var env = new HashMap<String, String>();
        if (remoteIp != null) {
            env.put("TCPREMOTEIP", remoteIp);
        }
        // jffi and lz4 would extract native libraries here if the launcher let them.
        env.put("TMPDIR", tmp.toString());
        env.put("POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        return Launchers.run("relaylock", env, args);
    }

    private Launchers.Result relaylockWithDb(String remoteIp, Path database) throws Exception {
        return relaylock(remoteIp, "--db", database.toString(), report.toString(), "arg1", "arg 2");
    }

    @ParameterizedTest(name = "TCPREMOTEIP={0} -> {1}")
    @CsvSource({
        "192.0.2.10, set",
        "::ffff:192.0.2.10, set",
        "2001:db8::10, set",
        "2001:DB8:0:0:0:0:0:10, set",
        "192.0.2.11, unset",
        "192.0.2.99, unset",
        "2001:db8::11, unset",
    })
    void setsRelayClientOnlyForALiveEntry(String ip, String expected) throws Exception {
        var r = relaylockWithDb(ip, db);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains(expected.equals("set") ? "RELAYCLIENT=[]\n" : "RELAYCLIENT unset\n"), r.out());
        assertTrue(r.out().contains("ARGS arg1 arg 2\n"), r.out());
        assertTrue(r.out().contains("FDS 0 1 2\n"), "only 0, 1, 2 reach PROGRAM: " + r.out());
        assertTrue(r.out().contains("SigBlk:\t0000000000000000\n"), "the JVM's blocked signals do not reach PROGRAM: " + r.out());
        var direct = Launchers.run(report.toString(), Map.of());
        long ignoredDirect = ignored(direct.out());
        assertEquals(0, ignored(r.out()) & ~ignoredDirect, "relaylock makes PROGRAM ignore no signal: " + r.out());
        assertEquals("", r.err(), "a normal connection is quiet");
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "files left in the temporary directory");
        }
    }

    private static long ignored(String report) {
        return report.lines().filter(l -> l.startsWith("SigIgn:")).mapToLong(l -> Long.parseUnsignedLong(l.substring(7).trim(), 16))
                .findFirst().orElseThrow();
    }

    @Test
    void relayClientValueIsConfigurableAndAnExistingOneIsKept() throws Exception {
        var r = relaylock("192.0.2.10", "--db", db.toString(), "--relayclient-value", "1", report.toString());
        assertTrue(r.out().contains("RELAYCLIENT=[1]\n"), r.out());

        // A live client, whose RELAYCLIENT relaylock would set: the one tcprules set stays.
        var env = Map.of("TCPREMOTEIP", "192.0.2.10", "RELAYCLIENT", "@tcprules");
        var kept = Launchers.run("relaylock", env, "--db", db.toString(), "--relayclient-value", "1", report.toString());
        assertTrue(kept.out().contains("RELAYCLIENT=[@tcprules]\n"), kept.out());
    }

    @Test
    void maxLoginAgeShortensButNeverExtends() throws Exception {
        var r = relaylock("192.0.2.20", "--db", db.toString(), "--max-login-age", "5m", report.toString());
        assertTrue(r.out().contains("RELAYCLIENT unset"), "a login 10 minutes ago is too old for a 5m limit: " + r.out());
        var generous = relaylock("192.0.2.20", "--db", db.toString(), "--max-login-age", "11m", report.toString());
        assertTrue(generous.out().contains("RELAYCLIENT=[]"), generous.out());
        var longer = relaylock("192.0.2.99", "--db", db.toString(), "--max-login-age", "1h", report.toString());
        assertTrue(longer.out().contains("RELAYCLIENT unset"), "an expired entry stays expired: " + longer.out());
    }

    @Test
    void timeoutIsReadlogsAndNamedAsSuch() throws Exception {
        var r = relaylock("192.0.2.20", "--db", db.toString(), "--timeout", "15m", report.toString());
        assertTrue(r.out().contains("RELAYCLIENT unset"), r.out());
        assertTrue(r.err().contains("unknown option \"--timeout\" (a grant's length is readlog's --timeout"), r.err());
    }

    @Test
    void configFileNamesTheDatabase() throws Exception {
        var conf = Files.writeString(dir.resolve("poplock.conf"), "db = " + db + "\nrelayclient-value = 1\n");
        var env = Map.of("TCPREMOTEIP", "192.0.2.10", "POPLOCK_CONFIG", conf.toString());
        var r = Launchers.run("relaylock", env, report.toString());
        assertTrue(r.out().contains("RELAYCLIENT=[1]\n"), r.out() + r.err());
        var flag = Launchers.run("relaylock", env, "--relayclient-value=", report.toString());
        assertTrue(flag.out().contains("RELAYCLIENT=[]\n"), "a flag wins over the file: " + flag.out());
    }

    @Test
    void everyRelaySideFailureStillRunsTheProgramWithoutRelayClient() throws Exception {
        var empty = Files.createFile(dir.resolve("empty.db"));
        var garbage = dir.resolve("garbage.db");
        var bytes = new byte[8192];
        new Random(7).nextBytes(bytes);
        Files.write(garbage, bytes);
        var full = Files.readAllBytes(db);
        var truncated = Files.write(dir.resolve("truncated.db"), java.util.Arrays.copyOf(full, full.length / 2));
        var directory = Files.createDirectory(dir.resolve("dir.db"));
        var cases = Map.of(
                "missing", dir.resolve("missing.db"), "empty", empty, "garbage", garbage,
                "truncated", truncated, "directory", directory);
        for (var c : cases.entrySet()) {
            // No damage may grant an address without a live entry: one with none, one expired.
            for (var notLive : List.of("192.0.2.11", "192.0.2.99")) {
                var r = relaylockWithDb(notLive, c.getValue());
                assertEquals(0, r.exit(), c.getKey() + ": " + r.err());
                assertTrue(r.out().contains("RELAYCLIENT unset\n"), c.getKey() + ", " + notLive + ": " + r.out());
            }
            var r = relaylockWithDb("192.0.2.10", c.getValue());
            assertEquals(0, r.exit(), c.getKey() + ": " + r.err());
            // A truncated file may still hold the live entry whole in its first pages; no other case can.
            assertTrue(r.out().contains("RELAYCLIENT unset\n") || c.getKey().equals("truncated") && r.out().contains("RELAYCLIENT=[]\n"),
                    c.getKey() + ": " + r.out());
            assertTrue(r.out().contains("FDS 0 1 2\n"), c.getKey() + ": " + r.out());
            if (!c.getKey().equals("truncated")) {
                assertEquals(1, r.err().lines().count(), c.getKey() + " gives one line on stderr: " + r.err());
                assertTrue(r.err().startsWith("relaylock: ") && r.err().contains("running without RELAYCLIENT"), r.err());
            }
        }
    }

    @ParameterizedTest(name = "TCPREMOTEIP [{0}]")
    @CsvSource(delimiter = '|', value = {"not-an-ip", "'192.0.2.10 '", "host.example.com", "fe80::1%eth0", "''"})
    void badRemoteAddressRunsTheProgramWithoutRelayClient(String ip) throws Exception {
        var r = relaylockWithDb(ip, db);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("RELAYCLIENT unset\n"), r.out());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void unsetRemoteAddressRunsTheProgramWithoutRelayClient() throws Exception {
        var r = relaylockWithDb(null, db);
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("RELAYCLIENT unset\n"), r.out());
        assertEquals("relaylock: TCPREMOTEIP is not set (not run by tcpserver?); running without RELAYCLIENT\n", r.err());
    }

    @Test
    void unreadableDatabaseForTheSmtpUser() throws Exception {
        var setpriv = Path.of("/usr/bin/setpriv");
        Launchers.assumeOrInCiRequire(Files.isExecutable(setpriv) && Launchers.root(), "needs root and setpriv to act as the SMTP user");
        var locked = Files.copy(db, dir.resolve("locked.db"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        var pb = new ProcessBuilder(setpriv.toString(), "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                Launchers.BIN.resolve("relaylock").toString(), "--db", locked.toString(), report.toString());
        Launchers.hostFree(pb.environment()).put("TCPREMOTEIP", "192.0.2.10");
        pb.environment().put("POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + dir);
        var p = pb.start();
        var out = new String(p.getInputStream().readAllBytes());
        var err = new String(p.getErrorStream().readAllBytes());
        p.waitFor();
        assertTrue(out.contains("RELAYCLIENT unset\n"), out + err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("relaylock: ") && err.contains("locked.db"), err);
    }

    @Test
    void programThatCannotRunExits111() throws Exception {
        var r = relaylock("192.0.2.10", "--db", db.toString(), dir.resolve("no-such-program").toString());
        assertEquals(111, r.exit());
        assertTrue(r.err().startsWith("relaylock: cannot run "), r.err());
        var none = relaylock("192.0.2.10", "--db", db.toString());
        assertEquals(111, none.exit());
        assertTrue(none.err().startsWith("relaylock: no PROGRAM to run"), none.err());
    }

    @Test
    void programIsFoundOnPath() throws Exception {
        var r = relaylock("192.0.2.10", "--db", db.toString(), "env");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().lines().anyMatch("RELAYCLIENT="::equals), r.out());
        assertTrue(r.out().lines().anyMatch("TCPREMOTEIP=192.0.2.10"::equals), "the environment reaches PROGRAM: " + r.out());
        // The launcher's own shell variables stay its own.
        assertFalse(r.out().lines().anyMatch(l -> l.startsWith("opts=") || l.startsWith("cp=") || l.startsWith("inherited=")), r.out());
    }

    @Test
    void pathIsSearchedAsTcpserverDoesNeverThroughAShell() throws Exception {
        var first = Files.createDirectory(dir.resolve("first"));
        var second = Files.createDirectory(dir.resolve("second"));
        // Not executable in the first directory: skipped (EACCES), as djb's pathexec does.
        Files.writeString(first.resolve("smtpd"), "#!/bin/sh\necho first\n");
        var smtpd = Files.writeString(second.resolve("smtpd"), "#!/bin/sh\necho second \"$@\"\n");
        Files.setPosixFilePermissions(smtpd, PosixFilePermissions.fromString("rwxr-xr-x"));
        var path = first + ":" + second + ":/usr/bin:/bin";
        var r = relaylock("192.0.2.10", "--db", db.toString(), "smtpd", "arg");
        var found = Launchers.run("relaylock", Map.of("TCPREMOTEIP", "192.0.2.10", "PATH", path), "--db", db.toString(), "smtpd", "arg");
        assertEquals(0, found.exit(), found.err());
        assertEquals("second arg\n", found.out());
        assertEquals(111, r.exit(), "not on the test's own PATH: " + r.out());
        // A file that is not a program is an error (ENOEXEC), not a shell script as execvp would make it.
        var text = Files.writeString(dir.resolve("text"), "echo ran by a shell\n");
        Files.setPosixFilePermissions(text, PosixFilePermissions.fromString("rwxr-xr-x"));
        var notRun = relaylock("192.0.2.10", "--db", db.toString(), text.toString());
        assertEquals(111, notRun.exit(), notRun.out());
        assertEquals("", notRun.out());
        assertTrue(notRun.err().startsWith("relaylock: cannot run " + text + ": "), notRun.err());
    }

    @Test
    void databaseReplacedWhileRelaylockReadsItNeverGivesAWrongAnswer() throws Exception {
        // A writer publishing generation after generation, as readlog does, while relaylock runs.
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        var published = new java.util.concurrent.atomic.AtomicInteger();
        var failure = new java.util.concurrent.atomic.AtomicReference<Throwable>();
        var writer = new Thread(() -> {
            int g = 0;
            while (!stop.get()) {
                try {
                    var now = Instant.now();
                    var entries = new java.util.ArrayList<RelayEntry>();
                    entries.add(RelayEntry.of("192.0.2.10", "alice", now, Duration.ofMinutes(15)));
                    for (int i = 0; i < 2000 + g % 500; i++) {
                        entries.add(RelayEntry.of("10.1." + (i / 256) + "." + (i % 256), "gen" + g, now, Duration.ofMinutes(15)));
                    }
                    RelayDatabase.publish(db, entries);
                    g++;
                    published.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    failure.set(e);
                    return;
                }
            }
        });
        writer.start();
        try {
            for (int i = 0; i < 30; i++) {
                var live = relaylockWithDb("192.0.2.10", db);
                assertTrue(live.out().contains("RELAYCLIENT=[]\n"), "run " + i + ": " + live.out() + live.err());
                assertEquals("", live.err(), "run " + i);
                var stranger = relaylockWithDb("192.0.2.11", db);
                assertTrue(stranger.out().contains("RELAYCLIENT unset\n"), "run " + i + ": " + stranger.out());
                assertEquals("", stranger.err(), "run " + i);
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertEquals(null, failure.get(), "the writer published without failing");
        assertTrue(published.get() > 30, "the database was replaced while relaylock read it: " + published.get() + " generations");
    }

    /** A table of {@link PublishedTable#DELTA_FROM} and more bulk entries, {@code extra} beside them, encoded as readlog publishes. */
    private static TreeMap<String, byte[]> largeTable(Instant now, String... extra) {
        var live = new TreeMap<String, byte[]>();
        for (int i = 0; i < PublishedTable.DELTA_FROM + 1000; i++) {
            var ip = "10." + (2 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256);
            live.put(ip, RelayEntry.of(ip, "bulk", now, Duration.ofMinutes(15)).encodeValue());
        }
        for (var ip : extra) {
            live.put(ip, RelayEntry.of(ip, "", now, Duration.ofMinutes(15)).encodeValue());
        }
        return live;
    }

    private static Object inode(Path file) throws IOException {
        return Files.readAttributes(file, "unix:ino").get("ino");
    }

    private List<Path> deltasIn(Path directory) throws IOException {
        try (var files = Files.list(directory)) {
            return files.filter(f -> f.getFileName().toString().startsWith("relay.db.delta-")).sorted().toList();
        }
    }

    /**
     * Above 50,000 entries readlog publishes a base and a delta (PublishedTable): a login since the
     * base is only in the delta, and a withdrawal there hides the base's entry.
     */
    @Test
    void inALargeTableTheDeltaGrantsAndWithdrawsOverTheBase() throws Exception {
        var now = Instant.now();
        var table = new PublishedTable(db, "rw-r--r--", null, UnaryOperator.identity());
        var live = largeTable(now, "192.0.2.30");
        table.publish(live, new HashSet<>(live.keySet()));
        var base = inode(db);
        live.remove("192.0.2.30");
        live.put("192.0.2.31", RelayEntry.of("192.0.2.31", "", now, Duration.ofMinutes(15)).encodeValue());
        table.publish(live, Set.of("192.0.2.30", "192.0.2.31"));
        assertEquals(base, inode(db), "the base stays: the two changes are in the delta");
        assertEquals(2, table.deltaSize());
        assertEquals(1, deltasIn(dir).size());

        for (var c : Map.of("192.0.2.31", "RELAYCLIENT=[]\n", "192.0.2.30", "RELAYCLIENT unset\n", "10.2.100.7", "RELAYCLIENT=[]\n",
                "192.0.2.11", "RELAYCLIENT unset\n").entrySet()) {
            var r = relaylockWithDb(c.getKey(), db);
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().startsWith(c.getValue()), c.getKey() + ": " + r.out());
            assertEquals("", r.err(), c.getKey());
        }
    }

    /**
     * A base replaced after relaylock opened it, its delta removed before relaylock opens that
     * (replace-on-open.c, preloaded, does both at the delta's open): relaylock opens the table again
     * and answers from the new base and its delta, with no line on stderr.
     */
    @Test
    void aLargeTableReplacedBetweenItsBaseAndItsDeltaIsOpenedAgain() throws Exception {
        var now = Instant.now();
        var live = largeTable(now);
        new PublishedTable(db, "rw-r--r--", null, UnaryOperator.identity()).publish(live, new HashSet<>(live.keySet()));
        var oldDelta = deltasIn(dir).get(0);
        // The next generation, written beside: its base, and a delta that holds the new login.
        var next = Files.createDirectory(dir.resolve("next"));
        var nextTable = new PublishedTable(next.resolve("relay.db"), "rw-r--r--", null, UnaryOperator.identity());
        nextTable.publish(live, new HashSet<>(live.keySet()));
        live.put("192.0.2.32", RelayEntry.of("192.0.2.32", "", now, Duration.ofMinutes(15)).encodeValue());
        nextTable.publish(live, Set.of("192.0.2.32"));
        var newDelta = deltasIn(next).get(0);
        assertTrue(!newDelta.getFileName().equals(oldDelta.getFileName()), "two generations: " + oldDelta + ", " + newDelta);
        Files.move(newDelta, dir.resolve(newDelta.getFileName())); // in place before its base, as readlog does
        assertTrue(RelayLookup.find(db, "192.0.2.32").isEmpty(), "the old generation has no such login");

        var env = new HashMap<String, String>(Map.of("TCPREMOTEIP", "192.0.2.32", "TMPDIR", tmp.toString(),
                "POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp, "LD_PRELOAD", Launchers.replaceOnOpen().toString(),
                "REPLACE_ON_OPEN", oldDelta.toString(), "REPLACE_FROM", next.resolve("relay.db").toString(), "REPLACE_TO", db.toString()));
        var r = Launchers.run("relaylock", env, "--db", db.toString(), report.toString());
        assertEquals(0, r.exit(), r.err());
        assertFalse(Files.exists(oldDelta), "the preloaded writer ran: the old delta is gone");
        assertTrue(r.out().startsWith("RELAYCLIENT=[]\n"), "answered from the new generation: " + r.out() + r.err());
        assertEquals("", r.err());
    }

    @Test
    void argumentsAndEnvironmentReachTheProgramByteForByte() throws Exception {
        var show = Files.writeString(dir.resolve("show"), "#!/bin/sh\nprintf '%s\\0' \"$@\"\nexec env -0\n");
        Files.setPosixFilePermissions(show, PosixFilePermissions.fromString("rwx------"));
        // As under tcpserver: no locale, and bytes that are not UTF-8 (an ident reply, a Latin-1 name).
        var script = "X=$(printf 'caf\\351 \\303\\251'); export X; unset LANG LC_ALL LC_CTYPE; "
                + "exec \"$0\" --db \"$1\" \"$2\" \"$(printf 'arg\\351')\" 'two words'";
        var pb = new ProcessBuilder("sh", "-c", script, Launchers.BIN.resolve("relaylock").toString(), db.toString(), show.toString());
        Launchers.hostFree(pb.environment()).put("TCPREMOTEIP", "192.0.2.10");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        var p = pb.start();
        var out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        var entries = List.of(new String(out, java.nio.charset.StandardCharsets.ISO_8859_1).split("\0"));
        assertEquals(List.of("arg\u00e9", "two words"), entries.subList(0, 2), "arguments as given: " + entries);
        assertTrue(entries.contains("X=caf\u00e9 \u00c3\u00a9"), "X as given, not as Java decoded it: " + entries);
        assertTrue(entries.contains("RELAYCLIENT="), entries.toString());
    }

    @Test
    void aGarbageOrForeignClassArchiveOnlyMakesRelaylockSlower() throws Exception {
        // A lib directory like the real one whose cds/ holds, under every name the launcher may
        // use, random bytes, then another JDK's archive (as after a JDK upgrade without a trigger).
        var lib = linkedLib(f -> !f.getFileName().toString().equals("cds"));
        // Every JDK installed where Debian puts them (JDK 24+ reports a bad AOT cache on stdout,
        // the SMTP connection, unless told not to), else the java on PATH.
        var javas = new java.util.TreeSet<String>();
        try (var jvms = Files.list(Path.of("/usr/lib/jvm"))) {
            for (var home : jvms.toList()) {
                if (Files.isExecutable(home.resolve("bin/java"))) {
                    javas.add(home.resolve("bin/java").toRealPath().toString());
                }
            }
        } catch (IOException noJvmDirectory) {
            javas.add("java");
        }
        // Real archives first, made as the package makes them, to be put where another JDK looks.
        var archiver = new ProcessBuilder(new java.util.ArrayList<>(List.of(Launchers.BIN.resolve("poplock-archive").toString())));
        archiver.command().addAll(javas);
        Launchers.hostFree(archiver.environment()).put("POPLOCK_LIB", lib.toString());
        var made = archiver.redirectErrorStream(true).start();
        var madeOut = new String(made.getInputStream().readAllBytes());
        assertEquals(0, made.waitFor(), madeOut);
        var cds = lib.resolve("cds");
        var garbage = new byte[200_000];
        new Random(11).nextBytes(garbage);
        List<byte[]> contents = new java.util.ArrayList<>(List.of(garbage));
        try (var real = Files.list(cds)) {
            for (var archive : real.toList()) {
                contents.add(Files.readAllBytes(archive));
            }
        }
        for (var content : contents) {
            for (int feature = 17; feature <= 30; feature++) {
                Files.write(cds.resolve("relaylock-" + feature + ".jsa"), content);
                Files.write(cds.resolve("relaylock-" + feature + ".aot"), content);
            }
            for (var java : javas) {
                var r = Launchers.run("relaylock", Map.of("TCPREMOTEIP", "192.0.2.10", "POPLOCK_LIB", lib.toString(), "JAVA", java),
                        "--db", db.toString(), report.toString());
                assertEquals(0, r.exit(), java + ": " + r.err());
                assertTrue(r.out().startsWith("RELAYCLIENT=[]\n") && r.out().contains("FDS 0 1 2\n"), java + ": " + r.out());
                assertEquals("", r.err(), java + ": no JVM warning reaches the log or the connection");
            }
        }
    }

    /**
     * A parent, as sslserver -n is, holding 3, 5 and 6 open for PROGRAM and 7 close-on-exec;
     * PROGRAM must see 3, 5 and 6 with the flags the parent gave them, and not 7, nor any
     * descriptor the JVM opened (jars, the class archive). The same through the launcher's
     * no-Java fallback.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"java", "no java"})
    void descriptorsTheChainPassesReachTheProgramAsInherited(String how) throws Exception {
        var parentFlags = dir.resolve("parent-flags");
        var perl = String.join("\n",
                "use POSIX; use Fcntl;",
                // 3 to 9 taken first, so that the files below open above them and dup2 puts each where it belongs.
                "POSIX::dup2(2, $_) for 3 .. 9;",
                "sysopen(my $r, '/etc/hostname', O_RDONLY) or die; POSIX::dup2(fileno($r), 3) or die;",
                "sysopen(my $rw, '" + dir.resolve("rw") + "', O_RDWR|O_CREAT) or die; POSIX::dup2(fileno($rw), 5) or die;",
                "sysopen(my $w, '" + dir.resolve("w") + "', O_WRONLY|O_CREAT|O_APPEND) or die; POSIX::dup2(fileno($w), 6) or die;",
                "POSIX::dup2(fileno($r), 7) or die; open(my $seven, '<&=', 7) or die; fcntl($seven, F_SETFD, FD_CLOEXEC) or die;",
                "POSIX::close($_) for 4, 8, 9;",
                "open(my $o, '>', '" + parentFlags + "') or die;",
                "for my $fd (3, 5, 6) { open(my $i, '<', \"/proc/self/fdinfo/$fd\"); while (<$i>) { print $o \"FDFLAGS $fd $1\\n\" if /^flags:\\s+(\\d+)/ } }",
                "close $o; close $r; close $rw; close $w;",
                "exec @ARGV or die;");
        var env = new java.util.HashMap<>(Map.of("TCPREMOTEIP", "192.0.2.10", "SSLCTLFD", "5", "SSLREADFD", "3", "SSLWRITEFD", "6"));
        if (how.equals("no java")) {
            env.put("JAVA", dir.resolve("no-such-java").toString());
        }
        var cmd = new java.util.ArrayList<>(List.of("perl", "-e", perl, Launchers.BIN.resolve("relaylock").toString(), "--db", db.toString(),
                report.toString()));
        var pb = new ProcessBuilder(cmd);
        Launchers.hostFree(pb.environment()).putAll(env);
        var p = pb.start();
        p.getOutputStream().close();
        var out = new Launchers.StreamText(p.getInputStream());
        var err = new Launchers.StreamText(p.getErrorStream());
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err.text());
        var seen = out.text();
        assertTrue(seen.contains(how.equals("java") ? "RELAYCLIENT=[]\n" : "RELAYCLIENT unset\n"), seen);
        assertTrue(seen.contains("FDS 0 1 2 3 5 6\n"), "3, 5 and 6 reach PROGRAM, 7 (close-on-exec) and the JVM's do not: " + seen);
        // The same descriptors, opened as the parent opened them (the flags less close-on-exec).
        var expected = Files.readAllLines(parentFlags).stream().map(l -> l.replaceFirst(" 0*(\\d+)$", " $1")).sorted().toList();
        var actual = seen.lines().filter(l -> l.startsWith("FDFLAGS ")).map(l -> l.replaceFirst(" 0*(\\d+)$", " $1")).sorted().toList();
        assertEquals(3, expected.size(), expected.toString());
        assertEquals(expected, actual, seen);
    }

    @Test
    void withoutItsNativeLibraryTheProgramStillRunsAsAChild() throws Exception {
        // A lib directory with the jars but no native/: jffi cannot load, relaylock must not stop mail.
        var lib = linkedLib(f -> f.toString().endsWith(".jar"));
        var env = Map.of("TCPREMOTEIP", "192.0.2.10", "POPLOCK_LIB", lib.toString(), "TMPDIR", tmp.toString(),
                "POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        var r = Launchers.run("relaylock", env, "--db", db.toString(), report.toString(), "arg1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("RELAYCLIENT=[]\n") && r.out().contains("ARGS arg1\n"), r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("relaylock: no native exec ("), r.err());
        var status = Launchers.run("relaylock", env, "--db", db.toString(), "sh", "-c", "exit 7");
        assertEquals(7, status.exit(), "PROGRAM's exit status reaches tcpserver: " + status.err());
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "nothing extracted to the temporary directory");
        }
    }

    /** A lib directory for POPLOCK_LIB with links to what the build's has, as far as {@code keep} takes. */
    private Path linkedLib(java.util.function.Predicate<Path> keep) throws IOException {
        var lib = Files.createDirectory(dir.resolve("lib"));
        try (var files = Files.list(Launchers.TARGET.resolve("lib"))) {
            for (var f : files.filter(keep).toList()) {
                Files.createSymbolicLink(lib.resolve(f.getFileName()), f);
            }
        }
        return lib;
    }

    @Test
    void aThousandConnectionsThroughTcpserverLeaveNothingInTmp() throws Exception {
        // Half the connections from a logged-in address, half from addresses with no grant.
        RelayDatabase.publish(db, List.of(RelayEntry.of("127.0.0.1", "alice", Instant.now(), Duration.ofMinutes(15))));
        int port = TcpserverIT.freePort();
        var pb = new ProcessBuilder("tcpserver", "-q", "-R", "-H", "-l", "localhost", "-c", "20", "127.0.0.1", String.valueOf(port),
                Launchers.BIN.resolve("relaylock").toString(), "--db", db.toString(), report.toString());
        Launchers.hostFree(pb.environment()).put("TMPDIR", tmp.toString());
        pb.environment().put("POPLOCK_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        var server = pb.redirectErrorStream(true).redirectOutput(dir.resolve("tcpserver.out").toFile()).start();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(20);
        try {
            Launchers.await(Duration.ofSeconds(10), "tcpserver", () -> TcpserverIT.canConnect(port));
            var results = new java.util.ArrayList<java.util.concurrent.Future<String>>();
            for (int i = 0; i < 1000; i++) {
                var source = i % 2 == 0 ? "127.0.0.1" : "127.0.3." + (1 + i % 250);
                results.add(pool.submit(() -> TcpserverIT.session(source, port)));
            }
            for (int i = 0; i < results.size(); i++) {
                var out = results.get(i).get(10, java.util.concurrent.TimeUnit.MINUTES);
                var expected = i % 2 == 0 ? "RELAYCLIENT=[]\n" : "RELAYCLIENT unset\n";
                assertTrue(out.contains(expected) && out.contains("FDS 0 1 2\n"), "connection " + i + ": " + out);
            }
            try (var left = Files.list(tmp)) {
                assertEquals(List.of(), left.toList(), "files left in the temporary directory after 1,000 connections");
            }
        } finally {
            pool.shutdownNow();
            server.destroy();
            server.waitFor();
        }
    }
}
