/** The empty JVM of bench/relaylock.py: the floor any Java relaylock stands on. */
public final class Empty {
    public static void main(String[] args) {
    }
}
