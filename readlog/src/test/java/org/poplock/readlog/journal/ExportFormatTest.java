package org.poplock.readlog.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The export format's binary fields and its bounds: journal field values are attacker input. */
class ExportFormatTest {

    private static void text(ByteArrayOutputStream out, String field) {
        out.writeBytes((field + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void binary(ByteArrayOutputStream out, String name, byte[] value) {
        out.writeBytes((name + "\n").getBytes(StandardCharsets.US_ASCII));
        long n = value.length;
        for (int i = 0; i < 8; i++) {
            out.write((int) (n >>> (8 * i)) & 0xff);
        }
        out.writeBytes(value);
        out.write('\n');
    }

    @Test
    void aBinaryFieldKeepsItsNewlinesAndTheNextEntryFollows() throws IOException {
        var out = new ByteArrayOutputStream();
        text(out, "__CURSOR=c1");
        text(out, "__REALTIME_TIMESTAMP=1796179301303553");
        binary(out, "MESSAGE", "pop3-login: Login: user=<a\n>, rip=192.0.2.1".getBytes(StandardCharsets.UTF_8));
        text(out, "_UID=0");
        text(out, "");
        text(out, "__CURSOR=c2");
        text(out, "__REALTIME_TIMESTAMP=1");
        text(out, "MESSAGE=second");
        text(out, "");
        var reader = new ExportFormat(new ByteArrayInputStream(out.toByteArray()));
        var first = reader.next();
        assertEquals("c1", first.cursor());
        assertEquals(Instant.parse("2026-12-02T02:41:41.303553Z"), first.time());
        assertEquals("pop3-login: Login: user=<a\n>, rip=192.0.2.1", first.field("MESSAGE"));
        assertEquals("0", first.field("_UID"));
        assertEquals("second", reader.next().field("MESSAGE"));
        assertNull(reader.next());
    }

    @Test
    void aValueOverTheBoundIsMarkedNotKeptAndTheStreamStaysInStep() throws IOException {
        var out = new ByteArrayOutputStream();
        text(out, "__CURSOR=c1");
        text(out, "__REALTIME_TIMESTAMP=5");
        text(out, "MESSAGE=" + "x".repeat(ExportFormat.MAX_VALUE + 10));
        binary(out, "SYSLOG_IDENTIFIER", new byte[ExportFormat.MAX_VALUE + 1]);
        binary(out, "SOME_OTHER_FIELD", new byte[3 * ExportFormat.MAX_VALUE]);
        text(out, "_UID=0");
        text(out, "");
        text(out, "__CURSOR=c2");
        text(out, "__REALTIME_TIMESTAMP=6");
        text(out, "");
        var reader = new ExportFormat(new ByteArrayInputStream(out.toByteArray()));
        var first = reader.next();
        assertTrue(ExportFormat.TOO_LONG.equals(first.field("MESSAGE")), "a long text value is marked");
        assertTrue(ExportFormat.TOO_LONG.equals(first.field("SYSLOG_IDENTIFIER")), "a long binary value is marked");
        assertNull(first.field("SOME_OTHER_FIELD"), "fields readlog does not use are not kept");
        assertEquals("0", first.field("_UID"));
        assertEquals("c2", reader.next().cursor());
    }

    @Test
    void anEntryCutOffByTheEndIsNotHandedOn() throws IOException {
        var out = new ByteArrayOutputStream();
        text(out, "__CURSOR=c1");
        text(out, "__REALTIME_TIMESTAMP=5");
        text(out, "MESSAGE=half");
        assertNull(new ExportFormat(new ByteArrayInputStream(out.toByteArray())).next());
        var cut = new ByteArrayOutputStream();
        text(cut, "__CURSOR=c1");
        cut.writeBytes("MESSAGE\n\u0010\0\0\0\0\0\0\0abc".getBytes(StandardCharsets.ISO_8859_1));
        assertThrows(IOException.class, () -> new ExportFormat(new ByteArrayInputStream(cut.toByteArray())).next());
    }

    @Test
    void anEntryWithoutCursorOrTimeIsAnError() {
        var out = new ByteArrayOutputStream();
        text(out, "MESSAGE=x");
        text(out, "");
        assertThrows(IOException.class, () -> new ExportFormat(new ByteArrayInputStream(out.toByteArray())).next());
    }
}
