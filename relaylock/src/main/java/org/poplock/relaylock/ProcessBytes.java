package org.poplock.relaylock;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bytes relaylock was started with, from /proc, not Java's decoding of them: under tcpserver
 * there is rarely a UTF-8 locale, and an ident reply in TCPREMOTEINFO or a Latin-1 argument would
 * otherwise reach qmail-smtpd as question marks.
 */
final class ProcessBytes {

    private ProcessBytes() {
    }

    /**
     * The bytes of main's arguments: the last entries of /proc/self/cmdline, used only when they
     * decode to exactly what Java was given (else Java's strings, encoded back).
     */
    static byte[][] rawArguments(String[] args) {
        var fromJava = new byte[args.length][];
        var charset = nativeCharset();
        for (int i = 0; i < args.length; i++) {
            fromJava[i] = args[i].getBytes(charset);
        }
        var cmdline = nulSeparated(Path.of("/proc/self/cmdline"));
        if (cmdline.size() < args.length) {
            return fromJava;
        }
        var raw = cmdline.subList(cmdline.size() - args.length, cmdline.size()).toArray(new byte[0][]);
        for (int i = 0; i < args.length; i++) {
            if (!new String(raw[i], charset).equals(args[i])) {
                return fromJava;
            }
        }
        return raw;
    }

    /** The environment this process was started with, as bytes; Java's decoding of it if /proc cannot tell. */
    static List<byte[]> rawEnvironment() {
        var raw = nulSeparated(Path.of("/proc/self/environ"));
        if (raw.isEmpty()) {
            var charset = nativeCharset();
            for (var e : System.getenv().entrySet()) {
                raw.add((e.getKey() + "=" + e.getValue()).getBytes(charset));
            }
        }
        return raw;
    }

    private static List<byte[]> nulSeparated(Path file) {
        var parts = new ArrayList<byte[]>();
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException | RuntimeException e) {
            return parts;
        }
        for (int start = 0; start < all.length; ) {
            int nul = indexOf(all, (byte) 0, start);
            int end = nul < 0 ? all.length : nul;
            parts.add(Arrays.copyOfRange(all, start, end));
            start = end + 1;
        }
        return parts;
    }

    static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** The charset the JVM decoded arguments and environment with. */
    static Charset nativeCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }
}
