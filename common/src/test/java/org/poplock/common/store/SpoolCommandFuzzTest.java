package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.poplock.common.address.IpAddress;

/**
 * showallowed's spool lines as readlog reads them: a spool file is written by anyone in readlog's
 * group, so a line is input. Only the documented IllegalArgumentException; an accepted command
 * names a canonical address, a grant only a client's, and reads back as itself once encoded.
 */
class SpoolCommandFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void spoolCommand(byte[] input) {
        var line = new String(input, StandardCharsets.UTF_8);
        SpoolCommand command;
        try {
            command = SpoolCommand.parse(line);
        } catch (IllegalArgumentException e) {
            return;
        }
        if (command instanceof SpoolCommand.Add add) {
            assertEquals(IpAddress.canonical(add.ip()), add.ip());
            assertNull(IpAddress.notAClient(add.ip()), add.ip());
            assertTrue(add.seconds() > 0);
            assertTrue(add.user().chars().noneMatch(c -> c < ' ' || c == 0x7f), add.user());
        } else if (command instanceof SpoolCommand.Remove remove) {
            assertEquals(IpAddress.canonical(remove.ip()), remove.ip());
        }
        assertEquals(command, SpoolCommand.parse(command.encode()));
    }
}
