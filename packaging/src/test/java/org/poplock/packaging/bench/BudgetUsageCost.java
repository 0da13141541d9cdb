package org.poplock.packaging.bench;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.poplock.common.store.BlastTable;
import org.poplock.common.store.BudgetUsage;
import org.poplock.readlog.budget.Budget;

/**
 * Benchmark, not a test: what one publish of the budgets' usage costs readlog for N grants that
 * sent mail in the window (each of its own user, budgets per grant and per user): the pass over the
 * counts and the write of the file showallowed reads, medians of 7 after 3 warm-ups, and the
 * file's size. Run through {@code bench/budget-usage}.
 */
public final class BudgetUsageCost {

    public static void main(String[] args) throws Exception {
        var dir = Files.createTempDirectory("poplock-usage");
        var file = dir.resolve("relay.db.blast");
        try {
            for (var arg : args) {
                int n = Integer.parseInt(arg);
                var budget = new Budget(new Budget.Limits(200, 500, Duration.ofHours(1)), null, line -> { });
                long now = System.currentTimeMillis();
                for (int i = 0; i < n; i++) {
                    budget.check("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), "user" + i, "RCPT", "m", now);
                }
                var pass = new double[7];
                var write = new double[7];
                BudgetUsage usage = null;
                for (int r = -3; r < 7; r++) {
                    long t0 = System.nanoTime();
                    usage = budget.usage(now);
                    long t1 = System.nanoTime();
                    BlastTable.of(Map.of(), Map.of(), usage).write(file, "rw-r-----", null);
                    long t2 = System.nanoTime();
                    if (r >= 0) {
                        pass[r] = (t1 - t0) / 1e6;
                        write[r] = (t2 - t1) / 1e6;
                    }
                }
                Arrays.sort(pass);
                Arrays.sort(write);
                System.out.printf("%,d sending grants (%,d users): usage pass %.1f ms, write %.1f ms, file %,d KiB%n", usage.grants().size(),
                        usage.users().size(), pass[3], write[3], Files.size(file) / 1024);
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }
}
