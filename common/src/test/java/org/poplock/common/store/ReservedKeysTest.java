package org.poplock.common.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReservedKeysTest {

    private static final List<String> KEYS = List.of(ReservedKeys.DELTA, ReservedKeys.POSITION, ReservedKeys.CLUSTER, ReservedKeys.CURSOR);

    @Test
    void everyReservedKeyIsReservedAndSortsBeforeEveryAddress() {
        for (var key : KEYS) {
            assertTrue(ReservedKeys.isReserved(key), key);
            for (var address : List.of("0.0.0.1", "1.2.3.4", "::1", "2001:db8::7")) {
                assertTrue(key.compareTo(address) < 0, key + " sorts before " + address);
            }
        }
    }

    @Test
    void noAddressIsReserved() {
        for (var address : List.of("0.0.0.1", "192.0.2.7", "::1", "2001:db8::7")) {
            assertFalse(ReservedKeys.isReserved(address), address);
        }
    }

    @Test
    void noReservedKeyIsAPrefixOfAnother() {
        for (var a : KEYS) {
            for (var b : KEYS) {
                assertTrue(a == b || !b.startsWith(a), a + " / " + b);
            }
        }
    }
}
