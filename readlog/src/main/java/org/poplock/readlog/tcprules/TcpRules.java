package org.poplock.readlog.tcprules;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.poplock.common.store.RelayEntry;

/**
 * The high-volume alternative to relaylock: a tcpserver rules CDB in which every live grant is
 * the rule tcpserver would have followed for that address in the admin's own rules, with
 * {@code RELAYCLIENT=""} added, followed by those rules. A grant never widens or strips them: an
 * address the rules deny stays denied (one line, the first time, and a counter), and an allowed
 * one keeps every variable its rule sets (QMAILQUEUE, DATABYTES, RBLSMTPD, ...) and its own
 * RELAYCLIENT if it has one. Built with tcprules, which writes a temporary file and renames it over
 * the CDB, so tcpserver always opens a complete one.
 *
 * <p>The CDB is mode 0644: tcpserver opens it after dropping to its {@code -u}/{@code -g} user,
 * and it holds addresses, not user names. Writers (readlog and {@code readlog --tcprules-refresh})
 * take {@code CDB.lock} so that one does not put back what the other has just removed; a writer
 * stuck holding it (a stopped readlog) delays the other by the limit of one run at most.
 *
 * <p>IPv6 grants are written when the tcprules program takes an IPv6 rule (ucspi-tcp-ipv6, whose
 * tcpserver looks them up), in the form its tcpserver writes TCPREMOTEIP; ucspi-tcp 0.88's tcprules
 * refuses them, and its tcpserver serves IPv4 only.
 */
public final class TcpRules {

    private final Path cdb;
    private final Path base;
    private final String program;
    private final Duration limit;
    private final Consumer<String> log;
    private final Consumer<String> deniedLog;
    /** Granted addresses whose rule denies them, said once each while that lasts. */
    private Set<String> denied = new HashSet<>();
    private final AtomicLong deniedTotal = new AtomicLong();
    private Boolean ipv6;

    /**
     * @param base the admin's rules, or null
     * @param program the tcprules to run
     * @param limit how long one run of tcprules may take before it is killed
     * @param deniedLog hears of each granted address a deny rule keeps out, once while that lasts
     */
    public TcpRules(Path cdb, Path base, String program, Duration limit, Consumer<String> log, Consumer<String> deniedLog) {
        this.cdb = cdb.toAbsolutePath();
        this.base = base;
        this.program = program;
        this.limit = limit;
        this.log = log;
        this.deniedLog = deniedLog;
    }

    public Path cdb() {
        return cdb;
    }

    /** Grants a deny rule kept out of the CDB, each counted when it was first seen. */
    public long deniedTotal() {
        return deniedTotal.get();
    }

    /**
     * Writes the CDB for these live entries; {@code writer} names the temporary file, one per
     * writer, so that two never write the same one. IOException: one line saying why (tcprules'
     * own words and exit status, a base line tcprules would refuse, a run that took too long).
     */
    public void write(List<RelayEntry> live, String writer) throws IOException {
        var text = base == null ? "" : readBase();
        boolean v6 = ipv6(writer);
        RulesFile rules;
        try {
            rules = RulesFile.parse(text, v6);
        } catch (IllegalArgumentException e) {
            throw new IOException(base + " " + e.getMessage());
        }
        var lookup = rules.lookup();
        var out = new StringBuilder();
        var nowDenied = new HashSet<String>();
        for (var e : live) {
            if (!v6 && e.ip().indexOf(':') >= 0) {
                continue;
            }
            var ip = TcpserverAddress.of(e.ip());
            var rule = lookup.followed(ip);
            if (rule.isPresent() && rule.get().deny()) {
                nowDenied.add(ip);
                if (!denied.contains(ip)) {
                    deniedTotal.incrementAndGet();
                    deniedLog.accept("tcprules: " + ip + " may relay by its login, but " + base + " line " + rule.get().line()
                            + " denies it; tcpserver keeps denying it");
                }
                continue;
            }
            out.append(ip).append(':').append(rule.map(RulesFile.Rule::instructions).orElse("allow"));
            if (rule.isEmpty() || !rule.get().sets("RELAYCLIENT")) {
                out.append(",RELAYCLIENT=\"\"");
            }
            out.append('\n');
        }
        denied = nowDenied;
        out.append(text);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            out.append('\n');
        }
        try (var lock = lock()) {
            compile(out.toString(), cdb, cdb.resolveSibling(cdb.getFileName() + "." + writer + ".tmp"));
        }
    }

    private String readBase() throws IOException {
        try {
            return Files.readString(base, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("cannot read " + base + ": no such file");
        } catch (IOException e) {
            throw new IOException("cannot read " + base + ": " + e.getMessage());
        }
    }

    /** Whether this tcprules takes IPv6 rules: asked of it once, by compiling one beside the CDB (a file per writer). */
    private boolean ipv6(String writer) throws IOException {
        if (ipv6 == null) {
            var probe = cdb.resolveSibling(cdb.getFileName() + "." + writer + ".ipv6-probe");
            var tmp = cdb.resolveSibling(cdb.getFileName() + "." + writer + ".ipv6-probe.tmp");
            try {
                compile("::1:allow\n", probe, tmp);
                ipv6 = true;
            } catch (Refused e) {
                ipv6 = false;
            } finally {
                Files.deleteIfExists(probe);
                Files.deleteIfExists(tmp);
            }
        }
        return ipv6;
    }

    /** tcprules exited with a status of its own: the rules, or where it writes. */
    private static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * Runs tcprules on {@code rules}, bounded by the limit from its start: the rules go in from
     * another thread (a tcprules that stops reading cannot block us), its output is read only once
     * it has exited or been killed. The temporary file is made 0644 first: tcprules truncates an
     * existing one and keeps its mode, whatever readlog's umask.
     */
    private void compile(String rules, Path target, Path tmp) throws IOException {
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new IOException("cannot create " + tmp + ": " + why(e));
        }
        Process process;
        try {
            process = new ProcessBuilder(program, target.toString(), tmp.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("cannot run " + program + ": " + e.getMessage().replaceFirst(".*error=\\d+, ", ""));
        }
        var input = new Thread(() -> {
            try (var in = process.getOutputStream()) {
                in.write(rules.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // tcprules stopped reading: its exit status and output say why
            }
        }, "tcprules-input");
        input.setDaemon(true);
        input.start();
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                Files.deleteIfExists(tmp);
                throw new IOException(program + " " + target + " did not finish within " + limit.toSeconds() + "s and was killed");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + program + " ran");
        }
        var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().replace('\n', ' ');
        if (process.exitValue() != 0) {
            Files.deleteIfExists(tmp);
            throw new Refused(program + " " + target + " exited " + process.exitValue() + (output.isEmpty() ? "" : ": " + output));
        }
    }

    /** The reason alone: the JDK's messages for these name only the file. */
    private static String why(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        return e.getMessage();
    }

    /**
     * The writers' lock, {@code CDB.lock}; waited for up to the limit of one tcprules run and a
     * little more, then gone without: the holder is stopped or hung, and the CDB must still lose
     * what expired.
     */
    private Closeable lock() throws IOException {
        var path = cdb.resolveSibling(cdb.getFileName() + ".lock");
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("cannot open " + path + ": " + why(e));
        }
        long deadline = System.nanoTime() + limit.toNanos() + 5_000_000_000L;
        FileLock lock;
        while ((lock = channel.tryLock()) == null && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (lock == null) {
            log.accept("tcprules: " + path + " is held by another writer for longer than a tcprules run may take; writing without it");
        }
        return channel::close;
    }
}
