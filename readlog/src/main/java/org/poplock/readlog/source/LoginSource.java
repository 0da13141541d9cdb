package org.poplock.readlog.source;

import java.util.function.Consumer;
import org.poplock.readlog.parse.Login;

/** Where logins arrive already parsed: a server that tells readlog itself (Dovecot's auth policy reports). */
public interface LoginSource extends AutoCloseable {

    /** What it is called in readlog's lines and metrics. */
    String name();

    /** Hands every login that arrived since the last call to {@code logins}; never blocks; returns how many. */
    int poll(Consumer<Login> logins);

    @Override
    void close();
}
