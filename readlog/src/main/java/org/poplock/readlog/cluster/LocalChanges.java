package org.poplock.readlog.cluster;

import java.time.Instant;

/** This host's own changes to who may relay, as the cluster must hear of them: logins, extensions, admin changes. */
public interface LocalChanges {

    /** The address's entry was written here (a login, an extension, an admin's --add). */
    void granted(String ip);

    void removed(String ip, Instant at);

    void flushed(Instant at);

    /** Outside a cluster: nobody to tell. */
    LocalChanges NONE = new LocalChanges() {
        @Override
        public void granted(String ip) {
        }

        @Override
        public void removed(String ip, Instant at) {
        }

        @Override
        public void flushed(Instant at) {
        }
    };
}
