package org.poplock.readlog;

import java.util.ArrayList;
import java.util.List;
import org.poplock.readlog.listen.Binding;
import org.poplock.readlog.policy.PolicyAddress;
import org.poplock.readlog.socketmap.SocketmapServer;
import picocli.CommandLine.Option;

/** readlog's socketmap options (a picocli mixin), checked into {@link SocketmapServer.Settings}. */
final class SocketmapOptions implements Sectioned {

    @Override
    public String heading() {
        return "Socketmap service (sendmail, Postfix's socketmap: tables)";
    }


    @Option(names = "--socketmap", paramLabel = "ADDRESS", split = ",",
            description = "answer sendmail's socket map, Postfix's socketmap: table and OpenSMTPD's socketmap table with the live grants:"
                    + " unix:/path or inet:HOST:PORT; repeatable")
    List<String> addresses = new ArrayList<>();

    @Option(names = "--socketmap-value", paramLabel = "TEXT", defaultValue = "RELAY",
            description = "the value a client address with a live grant is found with (default: ${DEFAULT-VALUE}, what sendmail's access map means by it);"
                    + " other keys are NOTFOUND")
    String value;

    @Option(names = "--socketmap-mode", paramLabel = "MODE", defaultValue = "0660",
            description = "the mode of a unix socketmap socket (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--socketmap-group", paramLabel = "GROUP",
            description = "the group of a unix socketmap socket, one readlog's user is a member of (smmsp for sendmail, postfix for Postfix)")
    String group;

    @Option(names = "--socketmap-connections-per-client", paramLabel = "N", defaultValue = "512",
            description = "socketmap connections at once from one address over TCP; past it the one waiting longest is closed (default: ${DEFAULT-VALUE})")
    int perClient;

    /** The checked settings; no addresses: none. IllegalArgumentException with a one-line reason. */
    SocketmapServer.Settings settings() {
        var parsed = addresses.stream().map(a -> PolicyAddress.parse("--socketmap", a, "inet:127.0.0.1:10041")).toList();
        if (value.isEmpty() || value.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
            throw new IllegalArgumentException("--socketmap-value must be one word or line of printable ASCII, such as RELAY or OK");
        }
        Binding.permissions("--socketmap-mode", mode);
        if (perClient < 1) {
            throw new IllegalArgumentException("--socketmap-connections-per-client must be at least 1");
        }
        return new SocketmapServer.Settings(parsed, value, mode, group, perClient);
    }
}
