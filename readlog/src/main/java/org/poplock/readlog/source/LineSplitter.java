package org.poplock.readlog.source;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.poplock.readlog.parse.LoginParser;

/**
 * Cuts a byte stream into lines: a line is handed on only once its newline has arrived, lines
 * over {@link #MAX_LINE} bytes are skipped whole (no login line comes near it, and an attacker's
 * megabyte line must not cost us memory), a CR before the newline is dropped, and invalid UTF-8
 * becomes U+FFFD, which can form no address, while the rest of the line still parses.
 */
final class LineSplitter {

    /** The parser's limit: a longer line can be no login, so it is not even kept. */
    static final int MAX_LINE = LoginParser.MAX_LINE;

    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final Consumer<String> warnings;
    private boolean overlong;

    LineSplitter(Consumer<String> warnings) {
        this.warnings = warnings;
    }

    /** Feeds {@code length} bytes; returns how many complete lines went to {@code lines}. */
    int feed(byte[] bytes, int length, Consumer<String> lines) {
        int n = 0;
        int start = 0;
        for (int i = 0; i < length; i++) {
            if (bytes[i] == '\n') {
                append(bytes, start, i);
                if (!overlong) {
                    lines.accept(decode(partial.toByteArray()));
                    n++;
                }
                partial.reset();
                overlong = false;
                start = i + 1;
            }
        }
        append(bytes, start, length);
        return n;
    }

    /** Forgets a partial line (the file it came from was truncated or replaced). */
    void reset() {
        partial.reset();
        overlong = false;
    }

    private void append(byte[] bytes, int from, int to) {
        if (overlong || from == to) {
            return;
        }
        if (partial.size() + (to - from) > MAX_LINE) {
            warnings.accept("skipping a line longer than " + MAX_LINE + " bytes");
            overlong = true;
            partial.reset();
            return;
        }
        partial.write(bytes, from, to - from);
    }

    private static String decode(byte[] line) {
        int len = line.length;
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        return new String(line, 0, len, StandardCharsets.UTF_8);
    }
}
