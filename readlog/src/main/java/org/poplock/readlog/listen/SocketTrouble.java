package org.poplock.readlog.listen;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Why a unix socket could not be made or given to its group, said in what an admin can change: the
 * directory in the way with its owner and mode, or the group readlog's user is not in. The bare
 * errno ("Permission denied", "Operation not permitted") names neither.
 */
final class SocketTrouble {

    private SocketTrouble() {
    }

    /** The reason of a failed file operation, without the path Java repeats in front of it. */
    static String reason(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return String.valueOf(e.getMessage());
    }

    /**
     * Why {@code user} could not bind {@code socket}, or "" when nothing on the way explains it: the
     * first directory from the root down that {@code user} may not pass through, a directory that
     * does not exist, or the socket's own directory when it may not be written.
     */
    static String bindCause(Path socket, String reason, String user) {
        if (reason.contains("Read-only file system")) {
            return " (under systemd's ProtectSystem, the socket's directory must be one of the unit's ReadWritePaths)";
        }
        var directory = socket.toAbsolutePath().getParent();
        var walked = directory.getRoot();
        for (var name : directory) {
            if (!Files.isExecutable(walked)) {
                return " (the directory " + walked + " is " + described(walked) + ": " + user + " may not pass through it)";
            }
            var next = walked.resolve(name);
            if (!Files.exists(next)) {
                return " (the directory " + next + " does not exist)";
            }
            walked = next;
        }
        if (!Files.isWritable(directory) || !Files.isExecutable(directory)) {
            return " (the directory " + directory + " is " + described(directory) + ": " + user + " may not make a socket in it)";
        }
        return "";
    }

    /**
     * Why the socket could not be given to its group. The process made the socket, so it owns it:
     * chgrp is then refused (EPERM) only to an owner outside the group.
     */
    static String groupCause(String reason, String user) {
        if (reason.contains("Operation not permitted")) {
            return user + " is not a member of it (chgrp: " + reason + ")";
        }
        return "chgrp: " + reason;
    }

    /** "postfix's, mode 0700", or as much of it as can be read. */
    private static String described(Path directory) {
        try {
            int mode = (Integer) Files.getAttribute(directory, "unix:mode");
            return Files.getOwner(directory).getName() + "'s, mode " + String.format("%04o", mode & 07777);
        } catch (IOException | RuntimeException e) {
            return "not readable";
        }
    }
}
