package org.poplock.readlog.listen;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one set-up of readlog's listening sockets: TCP, and unix sockets with their mode and group,
 * a stale one (left by a readlog that died: nobody answers on it) replaced, one another process
 * listens on refused with its pid.
 */
public final class Binding {

    private static final int BACKLOG = 256;

    private Binding() {
    }

    /** A listening TCP socket; the bind's own IOException when the address cannot be taken. */
    public static ServerSocketChannel tcp(InetSocketAddress address) throws IOException {
        var channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(address, BACKLOG);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    /**
     * A listening unix socket at {@code path} with {@code mode} (octal) and {@code group} (null:
     * readlog's); IOException with one line, starting with {@code label}, that says what an admin
     * can change. The caller removes {@code path} when it stops (and only then: never another's).
     */
    public static ServerSocketChannel unix(String label, Path path, String mode, String group) throws IOException {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            var kind = Files.readAttributes(path, "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode");
            if (kind instanceof Integer m && (m & 0170000) != 0140000) {
                throw new IOException(label + ": " + path + " exists and is no socket; not replacing it");
            }
            boolean answered;
            try (var probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                answered = true;
            } catch (IOException refused) {
                answered = false;
            }
            if (answered) {
                var pid = SocketOwner.pidOf(path);
                throw new IOException(label + ": in use" + (pid == null ? "" : " by pid " + pid) + "; not taking it over");
            }
            Files.deleteIfExists(path);
        }
        GroupPrincipal owners = null;
        if (group != null) {
            try {
                owners = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
            } catch (UserPrincipalNotFoundException e) {
                throw new IOException(label + ": cannot give the socket to group " + group + ": no such group", e);
            }
        }
        var user = System.getProperty("user.name");
        var channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(path), BACKLOG);
        } catch (IOException e) {
            channel.close();
            var reason = SocketTrouble.reason(e);
            throw new IOException(label + ": cannot listen: " + reason + SocketTrouble.bindCause(path, reason, user), e);
        }
        try {
            Files.setPosixFilePermissions(path, permissions(mode));
        } catch (IOException e) {
            closeAndRemove(channel, path);
            throw new IOException(label + ": cannot set the socket's mode " + mode + ": " + SocketTrouble.reason(e), e);
        }
        if (owners != null) {
            try {
                Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(owners);
            } catch (IOException e) {
                closeAndRemove(channel, path);
                throw new IOException(label + ": cannot give the socket to group " + group + ": "
                        + SocketTrouble.groupCause(SocketTrouble.reason(e), user), e);
            }
        }
        return channel;
    }

    /** Closes a unix socket this process bound and removes its file: a later start then meets nothing stale. */
    public static void closeAndRemove(ServerSocketChannel channel, Path path) {
        try {
            channel.close();
        } catch (IOException e) {
            // already closed
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a stale socket is replaced at the next start
        }
    }

    /** An octal mode such as 0660, as permissions; IllegalArgumentException for anything else. */
    public static Set<PosixFilePermission> permissions(String mode) {
        return permissions("--policy-mode", mode);
    }

    /** {@code mode}, the value of {@code option}, as permissions; IllegalArgumentException naming both for anything but an octal mode. */
    public static Set<PosixFilePermission> permissions(String option, String mode) {
        if (!mode.matches("0?[0-7]{3}")) {
            throw new IllegalArgumentException(option + " " + mode + " is not an octal mode such as 0660");
        }
        int m = Integer.parseInt(mode, 8);
        var out = EnumSet.noneOf(PosixFilePermission.class);
        var all = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < 9; i++) {
            if ((m & (1 << (8 - i))) != 0) {
                out.add(all[i]);
            }
        }
        return out;
    }
}
