package org.poplock.showallowed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.poplock.common.config.Settings;
import picocli.CommandLine;

/** Every option is a key the shared configuration file may hold, or the file would call it a typo. */
class ShowAllowedSettingsTest {

    @Test
    void everyOptionIsAKnownConfigurationKey() {
        assertEquals(List.of(), Settings.notKeys(new CommandLine(new ShowAllowed()).getCommandSpec()), "options missing from Settings.KEYS");
    }
}
