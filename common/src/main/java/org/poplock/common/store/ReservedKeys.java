package org.poplock.common.store;

/**
 * The keys of a published table or of readlog's state that are no address: each starts with a NUL,
 * which no canonical address holds and which sorts before every address, so a reader passes over
 * them by their first character and a writer can put them first in a sorted table.
 */
public final class ReservedKeys {

    /** What every reserved key starts with. */
    public static final String PREFIX = "\0";
    /** A published base's key naming the generation of its delta ({@link PublishedTable}). */
    public static final String DELTA = PREFIX + "delta";
    /** The state's keys of how far a log was read: {@code \0position PATH}. */
    public static final String POSITION = PREFIX + "position ";
    /** The state's keys of the cluster's outbox and stream position: {@code \0cluster outbox N}, {@code \0cluster stream}. */
    public static final String CLUSTER = PREFIX + "cluster ";
    /** The state's keys of a stream's cursor: {@code \0cursor journal}. */
    public static final String CURSOR = PREFIX + "cursor ";
    /** The state's keys of a flagged user and when the flag ends (epoch milliseconds): {@code \0flag USER}. */
    public static final String FLAG = PREFIX + "flag ";

    private ReservedKeys() {
    }

    /** Whether {@code key} is one of these rather than an address. */
    public static boolean isReserved(String key) {
        return key.startsWith(PREFIX);
    }
}
