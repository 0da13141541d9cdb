package org.poplock.packaging.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Random;
import org.poplock.readlog.parse.LoginParser;
import org.poplock.readlog.parse.ServerDefinition;

/**
 * Benchmark, not a test: lines per second through readlog's parser with every built-in definition
 * active, on one thread, reading the file as readlog does. {@code generate FILE N} writes a mixed
 * mail log (about 1 % logins of several servers, the rest MTA and other noise, hostile lines
 * included); {@code parse FILE RUNS} prints the median. Run through {@code bench/parse-throughput}.
 */
public final class ParseThroughput {

    public static void main(String[] args) throws Exception {
        var file = Path.of(args[1]);
        if (args[0].equals("generate")) {
            generate(file, Integer.parseInt(args[2]));
        } else {
            parse(file, Integer.parseInt(args[2]));
        }
    }

    private static void parse(Path file, int runs) throws Exception {
        var parser = new LoginParser(ServerDefinition.builtIn(), Clock.systemDefaultZone());
        var rates = new ArrayList<Double>();
        long lines = 0;
        long logins = 0;
        for (int r = 0; r < runs; r++) {
            lines = 0;
            logins = 0;
            long start = System.nanoTime();
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines++;
                    if (parser.parse(line).isPresent()) {
                        logins++;
                    }
                }
            }
            rates.add(lines / ((System.nanoTime() - start) / 1e9));
        }
        Collections.sort(rates);
        System.out.printf("java readlog parser: %d lines, %d logins, median %.0f lines/s over %d runs%n",
                lines, logins, rates.get(rates.size() / 2), runs);
    }

    private static void generate(Path file, int n) throws Exception {
        var random = new Random(20261122);
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < n; i++) {
                var stamp = String.format("Nov 22 %02d:%02d:%02d mail ", i / 3_600_000 % 24, i / 60_000 % 60, i / 1000 % 60);
                var ip = "192.0." + random.nextInt(256) + "." + (1 + random.nextInt(254));
                var line = random.nextInt(100) == 0 ? login(random.nextInt(6), ip, i) : noise(random.nextInt(8), ip, i);
                out.write(stamp);
                out.write(line);
                out.write('\n');
            }
        }
    }

    private static String login(int server, String ip, int i) {
        return switch (server) {
            case 0 -> "dovecot: pop3-login: Login: user=<u" + i + ">, method=PLAIN, rip=" + ip + ", lip=192.0.2.1, mpid=" + i + ", TLS, session=<s" + i + ">";
            case 1 -> "courierpop3login: LOGIN, user=u" + i + ", ip=[::ffff:" + ip + "], port=[" + (1024 + i % 60000) + "]";
            case 2 -> "ipop3d[" + i + "]: Login user=u" + i + " host=client.example.org [" + ip + "] nmsgs=1/1";
            case 3 -> "qpopper[" + i + "]: (v4.0.9) POP login by user \"u" + i + "\" at (client.example.org) " + ip + " [pop_log.c:244]";
            case 4 -> "cyrus/imap[" + i + "]: login: client.example.org [" + ip + "] u" + i + " PLAIN User logged in";
            default -> "vpopmail[" + i + "]: vchkpw-pop3: (PLAIN) login success u" + i + "@example.org:" + ip;
        };
    }

    private static String noise(int kind, String ip, int i) {
        return switch (kind) {
            case 0 -> "postfix/smtpd[" + i + "]: connect from unknown[" + ip + "]";
            case 1 -> "postfix/smtpd[" + i + "]: NOQUEUE: reject: RCPT from unknown[" + ip + "]: 554 5.7.1 <x@example.net>: Relay access denied; from=<spam@example.com> to=<x@example.net> proto=ESMTP helo=<spam>";
            case 2 -> "qmail-smtpd[" + i + "]: MAIL FROM:\"POP login by user \"admin\" at (66.66.66.66) 66.66.66.66@example.org\"";
            case 3 -> "dovecot: pop3(u" + i + ")<" + i + "><s" + i + ">: Disconnected: Logged out top=0/0, retr=1/1234, del=0/1, size=1234";
            case 4 -> "dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<u" + i + ">, method=PLAIN, rip=" + ip + ", lip=192.0.2.1, session=<s>";
            case 5 -> "CRON[" + i + "]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)";
            case 6 -> "kernel: [" + i + ".123456] IN=eth0 OUT= SRC=" + ip + " DST=192.0.2.1 LEN=60 PROTO=TCP SPT=4444 DPT=25";
            default -> "postfix/qmgr[" + i + "]: 4F2B1A" + i + ": from=<user@example.org>, size=" + i + ", nrcpt=1 (queue active)";
        };
    }
}
