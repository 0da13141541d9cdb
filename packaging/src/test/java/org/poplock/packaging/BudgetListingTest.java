package org.poplock.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.poplock.packaging.ReadlogProcess.listing;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real readlog's policy service with budgets and the real showallowed: the recipients a grant
 * and its user relayed in the window reach the listing and --json through the file readlog
 * publishes beside the database; a grant that sent nothing shows 0, one past its budget "over".
 */
class BudgetListingTest {

    private static final long HOUR = 3_600_000;

    @TempDir
    Path dir;

    @RegisterExtension
    final ReadlogProcess readlog = new ReadlogProcess();

    @Test
    void showallowedShowsEachGrantsRecipientsAgainstItsBudgetAndOverOnceItIsUsedUp() throws Exception {
        var log = Files.writeString(dir.resolve("mail.log"), "");
        var db = dir.resolve("relay.db");
        int port = RedisServer.freePort();
        // The budgets count in fixed hours: the counts below are to fall in one of them.
        Launchers.await(Duration.ofSeconds(130), "an hour with two minutes left", () -> HOUR - System.currentTimeMillis() % HOUR > 120_000);
        readlog.start("--log", log.toString(), "--db", db.toString(), "--policy", "inet:127.0.0.1:" + port,
                "--budget-recipients-per-grant", "3", "--budget-recipients-per-user", "10");
        var now = Instant.now();
        Files.writeString(log, Dovecot.login(now, "pop3", "192.0.2.7", "alice") + Dovecot.login(now, "pop3", "198.51.100.9", "bob"),
                StandardOpenOption.APPEND);
        Launchers.await(Duration.ofSeconds(20), "both grants published", () -> Launchers.publishedIps(db).size() == 2);
        var until = Instant.ofEpochMilli((System.currentTimeMillis() / HOUR + 1) * HOUR);

        assertEquals(List.of("action=OK\n\n", "action=OK\n\n"), rcpt(port, "192.0.2.7", "m1", "m2"));
        Launchers.await(Duration.ofSeconds(20), "2 of 3 listed", () -> row(listing(db), "192.0.2.7").contains(" budget 2/3 "));
        var text = listing(db);
        System.out.print(text);
        assertTrue(row(text, "192.0.2.7").matches(".* local budget 2/3 user 2/10 until \\d\\d:00"), text);
        assertTrue(row(text, "198.51.100.9").matches(".* local budget 0/3 user 0/10 until \\d\\d:00"), "a grant that sent nothing: " + text);
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(db.resolveSibling("relay.db.blast"))), "it names users");

        var json = listing(db, "--json");
        System.out.print(json);
        assertTrue(row(json, "{\"ip\":\"192.0.2.7\"").endsWith(",\"shared\":false,\"budget_recipients\":2,\"budget_messages\":2,\"budget_limit\":3"
                + ",\"budget_user_recipients\":2,\"budget_user_limit\":10,\"budget_over\":false,\"budget_until\":\"" + until + "\"}"), json);
        assertTrue(row(json, "{\"ip\":\"198.51.100.9\"").contains(",\"budget_recipients\":0,\"budget_messages\":0,\"budget_limit\":3,"), json);

        assertEquals(List.of("action=OK\n\n", "action=DEFER_IF_REJECT 4.7.1 Recipient budget of this login used up, try again later\n\n"),
                rcpt(port, "192.0.2.7", "m3", "m3"));
        Launchers.await(Duration.ofSeconds(20), "over listed", () -> row(listing(db), "192.0.2.7").contains(" budget 4/3 user 4/10 over until "));
        text = listing(db);
        System.out.print(text);
        Launchers.await(Duration.ofSeconds(20), "over in the JSON", () -> row(listing(db, "--json"), "{\"ip\":\"192.0.2.7\"")
                .contains("\"budget_recipients\":4,\"budget_messages\":3,\"budget_limit\":3,\"budget_user_recipients\":4,\"budget_user_limit\":10,\"budget_over\":true"));
    }

    /** The line of {@code text} that starts with {@code start} followed by a space or comma, or "" when there is none. */
    private static String row(String text, String start) {
        return text.lines().filter(l -> l.startsWith(start + " ") || l.startsWith(start + ",")).findFirst().orElse("");
    }

    /** One RCPT request per instance from {@code ip}, as Postfix sends them, on one connection: the replies. */
    private static List<String> rcpt(int port, String ip, String... instances) throws IOException {
        var replies = new ArrayList<String>();
        try (var s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            for (var instance : instances) {
                s.getOutputStream().write(("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=" + ip
                        + "\nclient_name=unknown\nsender=alice@example.com\nrecipient=r@example.net\ninstance=" + instance + "\n\n")
                        .getBytes(StandardCharsets.US_ASCII));
                replies.add(PolicyServiceTest.reply(s.getInputStream()));
            }
        }
        return replies;
    }
}
