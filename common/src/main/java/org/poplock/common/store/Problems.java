package org.poplock.common.store;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The one-line wording of what went wrong with a file, shared by every reader and writer. */
public final class Problems {

    private Problems() {
    }

    /** Why the published database at {@code db} could not be read, as an IOException with one line. */
    public static IOException unreadable(Path db, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new IOException("no relay database at " + db + " (has readlog published yet?)", e);
        }
        if (e instanceof AccessDeniedException) {
            return new IOException("cannot read " + db + ": permission denied", e);
        }
        return new IOException("cannot read " + db + ": " + e.getMessage(), e);
    }

    /**
     * Why a file operation failed, in the system's words ("Permission denied"): the JDK's
     * exceptions for the common errors carry only the file's name as their message.
     */
    public static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** What failed, from the innermost cause: MapDB wraps a full disk in exceptions without messages of their own. */
    public static String rootMessage(Throwable e) {
        var cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }
}
