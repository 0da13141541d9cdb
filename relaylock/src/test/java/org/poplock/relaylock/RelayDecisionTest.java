package org.poplock.relaylock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.store.RelayDatabase;
import org.poplock.common.store.RelayEntry;

class RelayDecisionTest {

    @TempDir
    Path dir;
    Path db;
    final Instant now = Instant.parse("2026-12-01T12:00:00Z");
    final List<String> warnings = new ArrayList<>();
    Path noConfig;

    @BeforeEach
    void publish() throws Exception {
        noConfig = Files.createFile(dir.resolve("empty.conf"));
        db = dir.resolve("relay.db");
        RelayDatabase.publish(db, List.of(
                new RelayEntry("192.0.2.1", "", now.minusSeconds(600), now.plusSeconds(300)),
                new RelayEntry("192.0.2.2", "", now.minusSeconds(900), now)));
    }

    /**
     * relaylock's decision for {@code env}; without a POPLOCK_CONFIG of the test's own, with an empty
     * configuration file, so that the host's /etc/poplock/poplock.conf never takes part.
     */
    private String decide(Map<String, String> env, String... args) {
        var all = new ArrayList<>(List.of("--db", db.toString()));
        all.addAll(List.of(args));
        all.add("/bin/true");
        var withConfig = new HashMap<>(env);
        withConfig.putIfAbsent(ConfigFile.ENV, noConfig.toString());
        return RelayDecision.relayClient(RelaylockOptions.parse(all.toArray(new String[0])), withConfig, now, warnings::add);
    }

    @Test
    void aLiveEntryRelaysAnExpiredOneDoesNot() {
        assertEquals("", decide(Map.of("TCPREMOTEIP", "192.0.2.1")));
        assertEquals("", decide(Map.of("TCPREMOTEIP", "::ffff:192.0.2.1")), "canonical form");
        assertNull(decide(Map.of("TCPREMOTEIP", "192.0.2.2")), "expiring at this instant is expired");
        assertNull(decide(Map.of("TCPREMOTEIP", "192.0.2.3")));
        assertEquals(List.of(), warnings);
    }

    @Test
    void theStoredExpiryDecidesNotTheSharedTimeout() throws Exception {
        // readlog kept 192.0.2.1 for an open session: its login is 10 minutes old, its expiry 5 minutes ahead.
        var conf = Files.writeString(dir.resolve("conf"), "timeout = 1m\n");
        assertEquals("", decide(Map.of("TCPREMOTEIP", "192.0.2.1", "POPLOCK_CONFIG", conf.toString())), "the file's timeout is readlog's");
        assertEquals("", decide(Map.of("TCPREMOTEIP", "192.0.2.1", "POPLOCK_CONFIG", conf.toString(), "POPLOCK_TIMEOUT", "1m")));
        assertEquals(List.of(), warnings);
    }

    @Test
    void maxLoginAgeIsRelaylocksOwnExplicitCap() throws Exception {
        assertNull(decide(Map.of("TCPREMOTEIP", "192.0.2.1"), "--max-login-age", "5m"), "login 10 min ago, 5 min allowed");
        assertEquals("", decide(Map.of("TCPREMOTEIP", "192.0.2.1"), "--max-login-age", "1h"));
        assertNull(decide(Map.of("TCPREMOTEIP", "192.0.2.1", "POPLOCK_MAX_LOGIN_AGE", "5m")), "from the environment too");
        var conf = Files.writeString(dir.resolve("conf"), "max-login-age = 5m\n");
        assertNull(decide(Map.of("TCPREMOTEIP", "192.0.2.1", "POPLOCK_CONFIG", conf.toString())), "and from the file");
    }

    @Test
    void theValueComesFromTheFlagTheEnvironmentOrTheFile() throws Exception {
        var conf = Files.writeString(dir.resolve("conf"), "relayclient-value = file\n");
        var ip = Map.of("TCPREMOTEIP", "192.0.2.1", "POPLOCK_CONFIG", conf.toString());
        assertEquals("file", decide(ip));
        assertEquals("env", decide(Map.of("TCPREMOTEIP", "192.0.2.1", "POPLOCK_CONFIG", conf.toString(), "POPLOCK_RELAYCLIENT_VALUE", "env")));
        assertEquals("flag", decide(Map.of("TCPREMOTEIP", "192.0.2.1", "POPLOCK_CONFIG", conf.toString(), "POPLOCK_RELAYCLIENT_VALUE", "env"),
                "--relayclient-value", "flag"));
    }

    @Test
    void everyProblemIsOneWarningAndNoRelay() throws Exception {
        assertNull(decide(Map.of()));
        assertNull(decide(Map.of("TCPREMOTEIP", "not-an-ip")));
        Files.writeString(db, "garbage");
        assertNull(decide(Map.of("TCPREMOTEIP", "192.0.2.1")));
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(2).contains("relay.db"), warnings.toString());
    }
}
