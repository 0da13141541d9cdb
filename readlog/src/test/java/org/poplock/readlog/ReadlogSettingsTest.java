package org.poplock.readlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.config.Settings;
import picocli.CommandLine;

/**
 * Every option is a key the shared configuration file may hold, or the file would call it a typo;
 * {@code readlog --help} lists each feature's options under its heading.
 */
class ReadlogSettingsTest {

    @Test
    void everyOptionIsAKnownConfigurationKey() {
        assertEquals(List.of(), Settings.notKeys(new CommandLine(new Readlog()).getCommandSpec()), "options missing from Settings.KEYS");
    }

    @Test
    void helpListsEachFeaturesOptionsUnderItsHeading(@TempDir Path dir) throws Exception {
        var config = Files.writeString(dir.resolve("poplock.conf"), "");
        var out = new ByteArrayOutputStream();
        int status = new Readlog(Clock.systemUTC(), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()))
                .run(new String[] {"--help"}, Map.of("POPLOCK_CONFIG", config.toString()));
        var help = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, help);
        for (var section : List.of("Other sources: FIFOs, the journal, Dovecot:\n      --fifo=", "The tcprules CDB (tcpserver):\n      --tcprules=",
                "Cluster: separate POP and SMTP hosts, through Redis:\n      --cluster=", "Policy service (Postfix, Exim):\n      --policy=",
                "Metrics and health:\n      --metrics=")) {
            assertTrue(help.contains(section), "section " + section + " in:\n" + help);
        }
        assertTrue(help.indexOf("--timeout=") < help.indexOf("Other sources:"), "the general options come first:\n" + help);
        assertFalse(help.contains("--poll-ms") || help.contains("--tcprules-wait"), "hidden options stay hidden:\n" + help);
    }
}
