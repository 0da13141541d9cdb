package org.poplock.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFileTest {

    @TempDir
    Path dir;

    @Test
    void oneTrailingNewlineIsNotPartOfTheSecret() throws IOException {
        var file = dir.resolve("secret");
        for (var written : new String[] {"s3cret", "s3cret\n", "s3cret\r\n"}) {
            Files.writeString(file, written);
            assertEquals("s3cret", SecretFile.read("--x-file", file), written);
        }
        Files.writeString(file, "s3cret\n\n");
        assertEquals("s3cret\n", SecretFile.read("--x-file", file), "only one newline goes");
        Files.writeString(file, " two words ");
        assertEquals(" two words ", SecretFile.read("--x-file", file), "nothing else is trimmed");
    }

    @Test
    void aFileThatCannotBeReadIsOneLineNamingOptionAndFile() {
        var missing = dir.resolve("missing");
        var e = assertThrows(IllegalArgumentException.class, () -> SecretFile.read("--x-file", missing));
        assertEquals("--x-file " + missing + " cannot be read: No such file or directory", e.getMessage());
    }
}
