package org.poplock.readlog.listen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Which process listens on a unix socket, as fuser(1) finds it: its inode in /proc/net/unix, then /proc/PID/fd. */
final class SocketOwner {

    private SocketOwner() {
    }

    /** The pid, or null when it cannot be told (not Linux, or another user's process). */
    static Long pidOf(Path socket) {
        try {
            String inode = null;
            for (var line : Files.readAllLines(Path.of("/proc/net/unix"))) {
                var f = line.trim().split("\\s+");
                if (f.length >= 8 && f[f.length - 1].equals(socket.toString()) && f[5].equals("01")) { // 01: listening
                    inode = f[6];
                }
            }
            if (inode == null) {
                return null;
            }
            var target = "socket:[" + inode + "]";
            try (var procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (var proc : procs) {
                    try (var fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                        for (var fd : fds) {
                            if (Files.readSymbolicLink(fd).toString().equals(target)) {
                                return Long.parseLong(proc.getFileName().toString());
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        // gone, or not ours to look at
                    }
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
