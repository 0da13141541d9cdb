package org.poplock.common.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.poplock.common.store.Problems;

/**
 * A secret an option names a file of, so that it stays off the command line (where ps shows it):
 * the file's text in UTF-8, one trailing newline (as an editor or echo leaves it) not part of it.
 */
public final class SecretFile {

    private SecretFile() {
    }

    /** The secret in {@code file}, given as {@code option}; IllegalArgumentException with one line naming both when it cannot be read. */
    public static String read(String option, Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).replaceFirst("\r?\n$", "");
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + " cannot be read: " + Problems.reason(e));
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(option + " " + file + " cannot be read: " + Problems.reason(e.getCause()));
        }
    }
}
