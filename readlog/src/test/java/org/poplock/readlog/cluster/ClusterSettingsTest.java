package org.poplock.readlog.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster's settings: what a sentinel may name, and each bad combination said in one line. */
class ClusterSettingsTest {

    @TempDir
    Path dir;

    private static ClusterSettings.SentinelOptions sentinels(List<String> primaries) {
        return new ClusterSettings.SentinelOptions(List.of("127.0.0.1:26379"), "mymaster", null, null, primaries);
    }

    private static ClusterSettings of(String url, Path ca, ClusterSettings.SentinelOptions sentinels) {
        return ClusterSettings.of(url, null, null, ca, "poplock", sentinels, "pop-a");
    }

    @Test
    void aSentinelMayNameOnlyTheServersTheAdminAllowed() {
        var s = of("redis://10.0.0.5:6379/0", null, sentinels(List.of("10.0.0.5:6379", "10.1.0.0/16", "redis-b.example.net", "[2001:db8::7]:6380")))
                .sentinels();
        assertTrue(s.allows("10.0.0.5", 6379));
        assertFalse(s.allows("10.0.0.5", 6380), "an address with a port allows that port only");
        assertTrue(s.allows("10.1.200.3", 7000), "a network allows any port");
        assertFalse(s.allows("10.2.0.1", 6379));
        assertTrue(s.allows("REDIS-B.example.net", 6379), "a name is compared as written, in any case");
        assertFalse(s.allows("redis-b.example.net.evil.test", 6379));
        assertTrue(s.allows("2001:db8:0::7", 6380), "addresses are compared in canonical form");
        assertFalse(s.allows("2001:db8::8", 6380));
        assertFalse(s.allows("10.1.0.1\r\nx", 6379));
        assertEquals("[10.0.0.5:6379, 10.1.0.0/16, redis-b.example.net, [2001:db8::7]:6380]", s.primaries().toString());
    }

    @Test
    void eachBadSettingIsOneLineNamingIt() throws Exception {
        var ca = Files.writeString(dir.resolve("ca.pem"), "x");
        var none = new ClusterSettings.SentinelOptions(List.of(), null, null, null, List.of());
        assertEquals("--cluster rediss://r:6380/0 needs --cluster-ca FILE: the CA that signed the cluster's Redis and sentinel certificates"
                + " (public CAs are not trusted)", assertThrows(IllegalArgumentException.class, () -> of("rediss://r:6380/0", null, none)).getMessage());
        assertTrue(of("rediss://r:6380/0", ca, none).tls());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> of("redis://r/0", null, sentinels(List.of()))).getMessage()
                .startsWith("--cluster-sentinel needs --cluster-primaries HOST[:PORT]|NETWORK/BITS"));
        assertEquals("--cluster-primaries 10.0.0.0/33: bad prefix length in \"10.0.0.0/33\"",
                assertThrows(IllegalArgumentException.class, () -> of("redis://r/0", null, sentinels(List.of("10.0.0.0/33")))).getMessage());
        assertEquals("--cluster-primaries a b: give HOST, HOST:PORT, ADDRESS or NETWORK/BITS",
                assertThrows(IllegalArgumentException.class, () -> of("redis://r/0", null, sentinels(List.of("a b")))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> of("redis://r/0", null, new ClusterSettings.SentinelOptions(List.of(), "mymaster", null, null, List.of())))
                .getMessage().endsWith("go with --cluster-sentinel HOST:PORT"));
        var missing = dir.resolve("none.pw");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> of("redis://r/0", null,
                new ClusterSettings.SentinelOptions(List.of("s:26379"), "m", null, missing, List.of("10.0.0.0/8")))).getMessage()
                .startsWith("--cluster-sentinel-password-file " + missing + " cannot be read"));
    }

    @Test
    void theSentinelsPasswordIsInNoMessage() throws Exception {
        var pw = Files.writeString(dir.resolve("s.pw"), "sentinel-secret\n");
        var s = of("redis://r/0", null, new ClusterSettings.SentinelOptions(List.of("s:26379"), "m", "watcher", pw, List.of("10.0.0.0/8")));
        assertEquals("sentinel-secret", s.sentinels().password());
        assertFalse(s.toString().contains("sentinel-secret") || s.where().contains("sentinel-secret"), s.toString());
    }
}
