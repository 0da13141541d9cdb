package org.poplock.common.store;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks a database or state path an admin named before anything is written beside it. */
public final class DatabaseDirectory {

    private DatabaseDirectory() {
    }

    /**
     * What is wrong with {@code path} as a file readlog writes (or, {@code forWriting} false, a
     * file a reader opens), in one line naming {@code option}; null when nothing is. An empty path
     * would put the state, its lock and the spool in the parent of the working directory.
     */
    public static String problem(String option, Path path, boolean forWriting) {
        if (path == null || path.toString().isEmpty()) {
            return option + ": empty path; name a file, e.g. " + option + " /var/lib/poplock/relay.db";
        }
        var absolute = path.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return option + " " + path + ": is a directory; name a file in it";
        }
        var dir = absolute.getParent();
        if (dir == null || !Files.exists(dir)) {
            return option + " " + path + ": directory " + dir + " does not exist";
        }
        if (!Files.isDirectory(dir)) {
            return option + " " + path + ": " + dir + " is not a directory";
        }
        if (forWriting && !Files.isWritable(dir)) {
            return option + " " + path + ": directory " + dir + " is not writable by this user";
        }
        return null;
    }
}
