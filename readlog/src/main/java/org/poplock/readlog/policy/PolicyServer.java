package org.poplock.readlog.policy;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.poplock.readlog.Troubles;
import org.poplock.readlog.budget.Budget;
import org.poplock.readlog.listen.Binding;
import org.poplock.readlog.listen.EventLoop;
import org.poplock.readlog.listen.ThreadPerConnection;
import org.poplock.readlog.listen.Listener;

/**
 * Postfix's policy delegation protocol (SMTPD_POLICY_README) over readlog's live grants, for
 * Postfix's {@code check_policy_service} and Exim's {@code ${readsocket}}. Listening is
 * {@link Binding}'s, each client is served on a thread of its own ({@link ThreadPerConnection}: a
 * few hundred for a busy Postfix; measured against an {@link EventLoop}, see there), framing is
 * {@link PolicySession}'s and answering {@link PolicyAnswers}': nothing here waits on the
 * daemon's thread, and nothing the daemon does waits on a client. Past {@link #MAX_CONNECTIONS}
 * in all, or the connections per client address over TCP, a new client is taken and the one of
 * them waiting longest without a whole request (or idle longest) is closed: a flood of idle
 * clients cannot lock out Postfix, which sends its request at once.
 */
public final class PolicyServer implements Listener {

    static final int MAX_CONNECTIONS = 2000;

    private final PolicyAnswers answers;
    private final Duration idle;
    private final int perClient;
    private final List<PolicyAddress> addresses;
    private final String mode;
    private final String group;
    private final Troubles troubles;
    private ThreadPerConnection loop;
    /** The unix sockets this server bound: removed at close, also when a later address could not be taken; never another's. */
    private final List<Path> made = new ArrayList<>();
    private final List<ServerSocketChannel> bound = new ArrayList<>();

    /** Answers from {@code table}; at most {@code perClient} connections from one address over TCP; unix sockets get {@code mode} and {@code group} (null: readlog's). */
    public PolicyServer(LiveTable table, Budget budget, String action, Duration idle, int perClient, List<PolicyAddress> addresses, String mode,
            String group, Consumer<String> log) {
        this.answers = new PolicyAnswers(table, budget, action, System::currentTimeMillis);
        this.idle = idle;
        this.perClient = perClient;
        this.addresses = addresses;
        this.mode = mode;
        this.group = group;
        this.troubles = new Troubles("policy: ", log);
    }

    /** Made and started; IOException with one line when an address cannot be taken. */
    public static PolicyServer start(LiveTable table, Budget budget, String action, Duration idle, int perClient, List<PolicyAddress> addresses,
            String mode, String group, Consumer<String> log) throws IOException {
        var server = new PolicyServer(table, budget, action, idle, perClient, addresses, mode, group, log);
        server.start();
        return server;
    }

    @Override
    public void start() throws IOException {
        try {
            for (var address : addresses) {
                if (address.unix() == null) {
                    try {
                        bound.add(Binding.tcp(address.inetAddress()));
                    } catch (IOException e) {
                        throw new IOException("--policy " + address + ": cannot listen: " + e.getMessage(), e);
                    }
                } else {
                    bound.add(Binding.unix("--policy " + address, address.unix(), mode, group));
                    made.add(address.unix());
                }
            }
            loop = new ThreadPerConnection("policy", bound, MAX_CONNECTIONS, perClient, "--policy-connections-per-client",
                    connection -> new PolicySession(connection, answers, idle.toMillis(), troubles), troubles::say);
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        loop.start();
    }

    /** An octal mode such as 0660, as permissions; IllegalArgumentException for anything else. */
    public static Set<PosixFilePermission> permissions(String mode) {
        return Binding.permissions(mode);
    }

    @Override
    public String name() {
        return "policy " + addresses;
    }

    @Override
    public String unhealthy() {
        return loop == null ? null : loop.unhealthy();
    }

    /** How many clients are connected now: for the summary. */
    public int connected() {
        return loop == null ? 0 : loop.connected();
    }

    public List<PolicyAddress> addresses() {
        return addresses;
    }

    /** Requests answered with the grant's action. */
    public long granted() {
        return answers.granted();
    }

    /** Requests answered DUNNO (no live grant). */
    public long notGranted() {
        return answers.notGranted();
    }

    /** Stops listening, closes every client and removes the unix sockets it made. */
    @Override
    public void close() {
        if (loop != null) {
            loop.close();
        }
        for (int i = 0; i < bound.size(); i++) {
            var path = i < addresses.size() ? addresses.get(i).unix() : null;
            if (path != null && made.contains(path)) {
                Binding.closeAndRemove(bound.get(i), path);
            } else {
                closeQuietly(bound.get(i));
            }
        }
    }

    private static void closeQuietly(ServerSocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // closing
        }
    }

    /** From now on a live grant's action needs {@code check} to accept the request's address and sender. */
    public void senderCheck(PolicyAnswers.SenderCheck check) {
        answers.senderCheck(check);
    }
}
