package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.config.Cli;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.config.Settings;
import org.poplock.readlog.Readlog;
import org.poplock.relaylock.RelaylockCommand;
import org.poplock.showallowed.ShowAllowed;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The admin's guide against the programs: docs/configuration.md has a row for every key of
 * Settings.KEYS, naming the programs whose options read it and the options' own defaults; and
 * every configuration-file example in the README and docs/ is one readlog takes (known keys,
 * values its options accept), so neither can drift from the code.
 */
class ConfigurationDocTest {

    /** The checkout's root: the tests run in packaging/. */
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private static Map<String, CommandSpec> programs() {
        var specs = new LinkedHashMap<String, CommandSpec>();
        specs.put("readlog", new CommandLine(Readlog.class).getCommandSpec());
        specs.put("relaylock", new CommandLine(RelaylockCommand.class).getCommandSpec());
        specs.put("showallowed", new CommandLine(ShowAllowed.class).getCommandSpec());
        return specs;
    }

    /** The rows of the key table: key → its cells (value, read by, default, what it does). */
    static Map<String, List<String>> keyTable() throws IOException {
        var rows = new LinkedHashMap<String, List<String>>();
        var row = Pattern.compile("^\\| `([a-z][a-z-]*)` \\|(.*)\\|$");
        for (var line : Files.readAllLines(ROOT.resolve("docs/configuration.md"))) {
            var m = row.matcher(line);
            if (m.matches()) {
                // cells split on | not escaped as \|
                var cells = new ArrayList<String>();
                for (var cell : m.group(2).split("(?<!\\\\)\\|")) {
                    cells.add(cell.strip());
                }
                rows.put(m.group(1), cells);
            }
        }
        return rows;
    }

    @Test
    void everyKeyHasARowNamingItsProgramsAndTheirDefault() throws IOException {
        var rows = keyTable();
        var specs = programs();
        var problems = new ArrayList<String>();
        for (var key : new TreeSet<>(Settings.KEYS)) {
            var cells = rows.get(key);
            if (cells == null) {
                problems.add(key + ": no row in docs/configuration.md; the options say: " + row(key, specs));
                continue;
            }
            var readers = new ArrayList<String>();
            String defaultValue = null;
            for (var program : specs.entrySet()) {
                var option = program.getValue().findOption("--" + key);
                if (option != null) {
                    readers.add(program.getKey());
                    if (defaultValue == null) {
                        defaultValue = option.defaultValue();
                    }
                }
            }
            if (!cells.get(1).equals(String.join(", ", readers))) {
                problems.add(key + ": read by " + readers + ", the row says " + cells.get(1));
            }
            if (defaultValue != null && !cells.get(2).equals("`" + defaultValue + "`")) {
                problems.add(key + ": default " + defaultValue + ", the row says " + cells.get(2));
            }
        }
        for (var key : rows.keySet()) {
            if (!Settings.KEYS.contains(key)) {
                problems.add(key + ": a row for a key no program has");
            }
        }
        assertEquals(List.of(), problems);
    }

    /** The row the options give for {@code key}, to start from: its value, its programs, its default, its help. */
    static String row(String key, Map<String, CommandSpec> specs) {
        var readers = new ArrayList<String>();
        CommandLine.Model.OptionSpec first = null;
        for (var program : specs.entrySet()) {
            var option = program.getValue().findOption("--" + key);
            if (option != null) {
                readers.add(program.getKey());
                first = first == null ? option : first;
            }
        }
        if (first == null) {
            return "(no program has --" + key + ")";
        }
        var value = first.arity().max() == 0 ? "`true`" : "`" + first.paramLabel().replace("|", "\\|") + "`";
        var help = String.join(" ", first.description()).replace("${DEFAULT-VALUE}", String.valueOf(first.defaultValue())).replace("|", "\\|");
        var byDefault = first.defaultValue() != null ? "`" + first.defaultValue() + "`" : first.arity().max() == 0 ? "off" : "none";
        return "| `" + key + "` | " + value + " | " + String.join(", ", readers) + " | " + byDefault + " | " + help
                + (first.hidden() ? " (for tests and benchmarks)" : "") + " |";
    }

    /** Fenced ```properties blocks, and the text README's quick starts append to poplock.conf. */
    static List<String> configExamples() throws IOException {
        var examples = new ArrayList<String>();
        var fenced = Pattern.compile("```properties\\n(.*?)```", Pattern.DOTALL);
        var appended = Pattern.compile("cat >>/etc/poplock/poplock\\.conf <<'EOF'\\n(.*?)\\nEOF\\n", Pattern.DOTALL);
        for (var page : guide()) {
            var text = Files.readString(page);
            for (var p : List.of(fenced, appended)) {
                var m = p.matcher(text);
                while (m.find()) {
                    examples.add(ROOT.relativize(page) + ":\n" + m.group(1));
                }
            }
        }
        return examples;
    }

    static List<Path> guide() throws IOException {
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            return Stream.concat(Stream.of(ROOT.resolve("README.md")), docs.filter(p -> p.toString().endsWith(".md")).sorted()).toList();
        }
    }

    @Test
    void everyConfigurationExampleIsOneReadlogTakes() throws Exception {
        var examples = configExamples();
        assertTrue(examples.size() >= 8, "the README's quick starts and the docs hold configuration examples: " + examples.size());
        var problems = new ArrayList<String>();
        int n = 0;
        for (var example : examples) {
            var file = dir.resolve("example-" + n++ + ".conf");
            Files.writeString(file, example.substring(example.indexOf('\n') + 1));
            var config = ConfigFile.load(file, true);
            if (!config.unknownKeys().isEmpty()) {
                problems.add(example + " → " + config.unknownKeys());
                continue;
            }
            try {
                // readlog's own parser: every value converted as the option takes it (durations, numbers, lists)
                new CommandLine(Readlog.class).setDefaultValueProvider(new Cli.Defaults(config, Map.of())).parseArgs();
            } catch (CommandLine.ParameterException e) {
                problems.add(example + " → " + e.getMessage());
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void nothingInTheGuideSpeaksOfHowItWasDeveloped() throws IOException {
        var history = Pattern.compile("(?i)this session|issue #[0-9]|previous version|found by trying|first version");
        var problems = new ArrayList<String>();
        for (var page : guide()) {
            var lines = Files.readAllLines(page);
            for (int i = 0; i < lines.size(); i++) {
                if (history.matcher(lines.get(i)).find()) {
                    problems.add(ROOT.relativize(page) + ":" + (i + 1) + ": " + lines.get(i));
                }
            }
        }
        assertFalse(problems.size() > 0, String.join("\n", problems));
    }
}
