package org.poplock.packaging;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal SMTP client for the burst: banner, EHLO, MAIL, one RCPT, QUIT; returns the RCPT reply code. */
final class Smtp {

    private Smtp() {
    }

    /** The RCPT TO reply code, or -1 when there was no 220 banner. */
    static int rcpt(String source, String server, int port, String recipient) throws IOException {
        try (var s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            s.connect(new InetSocketAddress(InetAddress.getByName(server), port), 10_000);
            s.setSoTimeout(60_000);
            var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            var out = s.getOutputStream();
            if (reply(in) != 220) {
                return -1;
            }
            send(out, "EHLO client.test");
            reply(in);
            send(out, "MAIL FROM:<sender@client.test>");
            reply(in);
            send(out, "RCPT TO:<" + recipient + ">");
            int code = reply(in);
            send(out, "QUIT");
            reply(in);
            return code;
        }
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads one (possibly multi-line) reply; its code, or -1 at end of stream. */
    private static int reply(BufferedReader in) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.length() < 4 || line.charAt(3) != '-') {
                return line.length() >= 3 ? Integer.parseInt(line.substring(0, 3)) : -1;
            }
        }
        return -1;
    }
}
