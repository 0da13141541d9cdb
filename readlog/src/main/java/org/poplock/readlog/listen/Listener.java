package org.poplock.readlog.listen;

import java.io.IOException;

/**
 * What readlog listens with (the policy service, Dovecot's reports, /metrics): one lifecycle, so
 * the daemon can hold them as a list. Each is made with what it serves, then started; until it is
 * closed it answers on its own thread, and says through {@link #unhealthy()} when it cannot.
 */
public interface Listener extends AutoCloseable {

    /** Where it listens, as readlog's lines name it ("policy inet:127.0.0.1:10040"). */
    String name();

    /** Binds and starts answering; IOException with one line when an address cannot be taken. */
    void start() throws IOException;

    /** Why it cannot answer now (its thread ended), or null while it can. */
    String unhealthy();

    /** Stops listening and closes every client; what it made on disk (a unix socket) goes. */
    @Override
    void close();
}
