package org.poplock.readlog.journal;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.poplock.common.address.Printable;
import org.poplock.common.retry.Backoff;
import org.poplock.readlog.Supervisor;
import org.poplock.readlog.source.Input;

/**
 * The systemd journal, read through {@code journalctl -o export --follow} on a thread of its own.
 * journalctl follows the journal's files through rotation and vacuuming itself; when it ends it
 * is started again after the last entry read, with backoff (a quarter second, doubling to 30 s)
 * and one line. Unlike a FIFO, the journal keeps what we have not read yet: a full queue makes
 * the reader wait, and nothing is dropped.
 *
 * <p>The cursor saved with the state is that of the last entry handed to the daemon, so a restart
 * resumes after exactly the entries whose logins the state holds; the
 * first start reads the entries of the last {@code timeout}, which may still be live grants.
 */
public final class JournalReader implements Input {

    /** Where the journal is and what of it to read. */
    public record Settings(Path directory, List<String> matches, String journalctl) {

        public Settings {
            matches = List.copyOf(matches);
            for (var m : matches) {
                if (!m.equals("+") && !m.matches("[A-Z0-9_]+=.*")) {
                    throw new IllegalArgumentException("--journal-match " + m + ": give FIELD=VALUE (a field name in capitals) or +");
                }
            }
        }
    }

    static final int QUEUE_ENTRIES = 10_000;

    /** An entry read: its cursor, and what it is for the parser (null: nothing to parse), or why it cannot be read. */
    private record Item(String cursor, JournalTrust.Verdict verdict, String damaged) {
    }

    private final Settings settings;
    private final JournalTrust trust;
    private final boolean follow;
    private final Consumer<String> warnings;
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE_ENTRIES);
    private final Thread reader;
    /** The cursor of the last entry handed to the daemon: what the state saves. */
    private String handed;
    /** The cursor of the last entry read from journalctl: where a new journalctl starts. */
    private volatile String read;
    private final Instant since;
    private volatile Process process;
    private volatile boolean closed;
    private volatile boolean finished;

    /**
     * Starts reading after {@code cursor} (null: from {@code since}); {@code follow} false reads to
     * the end of the journal once ({@code --once}, {@code --dry-run --once}).
     */
    public JournalReader(Settings settings, String cursor, Instant since, boolean follow, JournalTrust trust, Supervisor supervisor,
            Consumer<String> warnings) {
        this.settings = settings;
        this.trust = trust;
        this.follow = follow;
        this.warnings = warnings;
        this.handed = cursor;
        this.read = cursor;
        this.since = since;
        this.reader = supervisor.start("read journal", this::run);
    }

    /** Runs journalctl again and again until closed; a failure nobody expected is the supervisor's, which runs this again. */
    private void run() {
        var backoff = new Backoff();
        while (!closed) {
            var from = read;
            var command = command(from);
            String problem;
            boolean gotAny = false;
            try {
                var p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                process = p;
                var stderr = new LastLine(p);
                var export = new ExportFormat(new BufferedInputStream(p.getInputStream(), 1 << 16));
                for (JournalEntry entry; (entry = export.next()) != null; ) {
                    if (!gotAny && entry.cursor().equals(from)) {
                        continue; // --cursor starts at the entry already read, when it is still there
                    }
                    read = entry.cursor();
                    gotAny = true;
                    queue.put(item(entry));
                }
                int status = p.waitFor();
                if (closed || !follow && status == 0) {
                    break;
                }
                var said = stderr.text();
                problem = "journalctl exited with status " + status + said;
                if (!gotAny && read != null && said.contains("cursor")) {
                    warnings.accept("journal: the saved cursor is no longer usable (" + said.replaceFirst("^: ", "")
                            + "); reading the journal from " + since);
                    read = null;
                    continue;
                }
            } catch (IOException e) {
                problem = "cannot run journalctl: " + e.getMessage();
            } catch (InterruptedException e) {
                break;
            } finally {
                if (process != null) {
                    process.destroy();
                }
            }
            if (closed) {
                break;
            }
            if (!follow) {
                warnings.accept("journal: " + problem);
                break;
            }
            if (gotAny) {
                backoff.reset();
            }
            long wait = backoff.next();
            warnings.accept("journal: " + problem + "; starting it again in " + wait + " ms");
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                break;
            }
        }
        finished = true;
    }

    /** An entry as the daemon takes it: one that cannot be read is handed on as such, so its cursor is passed like any other's. */
    private Item item(JournalEntry entry) {
        try {
            return new Item(entry.cursor(), trust.check(entry), null);
        } catch (RuntimeException e) {
            return new Item(entry.cursor(), null, Supervisor.reason(e));
        }
    }

    /**
     * journalctl from just after {@code from} (null: from {@link #since}). {@code --cursor} and not
     * {@code --after-cursor}: systemd 252's after-cursor skips one entry more when the cursor's own
     * entry was vacuumed (seen here: the first entry of the next file was lost); the entry at the
     * cursor itself is skipped by {@link #run}.
     */
    private List<String> command(String from) {
        var c = new ArrayList<String>(List.of(settings.journalctl(), "--output=export", "--quiet", "--no-pager"));
        if (follow) {
            c.addAll(List.of("--follow", "--no-tail"));
        }
        if (settings.directory() != null) {
            c.add("--directory=" + settings.directory());
        }
        c.add(from != null ? "--cursor=" + from : "--since=@" + since.getEpochSecond());
        c.add("--");
        c.addAll(settings.matches());
        return c;
    }

    /** The last line journalctl wrote to its standard error, read on a thread of its own so it never blocks. */
    private static final class LastLine {
        private volatile String last = "";
        private final Thread t;

        LastLine(Process p) {
            t = new Thread(() -> {
                try (var r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (!line.isBlank()) {
                            last = line.length() > 200 ? line.substring(0, 200) : line;
                        }
                    }
                } catch (IOException ignored) {
                    // journalctl is gone; its status says the rest
                }
            }, "journalctl stderr");
            t.setDaemon(true);
            t.start();
        }

        /** Once journalctl has exited: its last line, after the reader has taken all it wrote (a second at most). */
        String text() throws InterruptedException {
            t.join(1000);
            var l = last;
            return l.isEmpty() ? "" : ": " + Printable.word(l);
        }
    }

    @Override
    public String name() {
        return "journal";
    }

    /**
     * Hands on every entry read so far. Reading the journal once, it waits until journalctl has
     * given all of it: {@code --once} means to the end.
     */
    @Override
    public int poll(Events lines) {
        int n = 0;
        try {
            while (true) {
                var item = follow || finished ? queue.poll() : queue.poll(100, TimeUnit.MILLISECONDS);
                if (item == null) {
                    if (follow || finished && queue.isEmpty()) {
                        return n;
                    }
                    continue;
                }
                handed = item.cursor();
                n++; // every entry counts, a login or not: its cursor is to be saved
                var v = item.verdict();
                if (item.damaged() != null) {
                    lines.damaged("the entry at cursor " + Printable.of(item.cursor()), item.damaged());
                } else if (v != null) {
                    if (v.untrusted() == null) {
                        lines.accept(v.line());
                    } else {
                        lines.untrusted(v.line(), v.untrusted());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return n;
        }
    }

    @Override
    public String cursor() {
        return handed;
    }

    @Override
    public void close() {
        closed = true;
        var p = process;
        if (p != null) {
            p.destroy();
        }
        reader.interrupt();
    }
}
