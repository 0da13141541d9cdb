package org.poplock.readlog;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.poplock.common.address.Cidr;
import org.poplock.common.config.ConfigFile;
import org.poplock.common.store.DatabaseDirectory;
import org.poplock.common.store.DatabaseLayout;
import org.poplock.readlog.authpolicy.AuthPolicyServer;
import org.poplock.readlog.blast.BlastSettings;
import org.poplock.readlog.budget.Budget;
import org.poplock.readlog.cluster.ClusterSettings;
import org.poplock.readlog.journal.JournalReader;
import org.poplock.readlog.journal.JournalTrust;
import org.poplock.readlog.parse.ServerDefinition;
import org.poplock.readlog.policy.PolicyAddress;
import org.poplock.readlog.policy.PolicyServer;
import org.poplock.readlog.socketmap.SocketmapServer;
import org.poplock.readlog.tcprules.TcpRules;

/** What readlog was told to do, checked: the options resolved into the values the daemon uses. */
record ReadlogConfig(Path configPath, List<Path> logs, List<Path> fifos, Path db, String dbGroup, Path state, Duration timeout,
        boolean once, boolean keepWhileConnected, Duration keepAtMost, TcpRulesSettings tcpRules, int fifoQueue,
        Duration summaryEvery, int pollMillis, Duration rotateWait, List<ServerDefinition> definitions, LoginPolicy policy,
        ClusterSettings cluster, PolicySettings policyService, String metrics, JournalReader.Settings journal,
        AuthPolicyServer.Settings dovecotPolicy, BlastSettings blast, SocketmapServer.Settings socketmap) {

    /** The policy service's settings, checked; no addresses: none. */
    record PolicySettings(List<PolicyAddress> addresses, String mode, String group, String action, Duration idle, int perClient,
            Budget.Limits budget) {

        /** The same without the budget: what the policy option itself names. */
        PolicySettings service() {
            return new PolicySettings(addresses, mode, group, action, idle, perClient, null);
        }
    }

    /**
     * The tcprules CDB's settings: where, the admin's rules, the tcprules program and how long
     * one run of it may take.
     */
    record TcpRulesSettings(Path cdb, Path base, String program, Duration limit) {

        /** The writer; {@code denied} hears of each granted address a deny rule keeps out. */
        TcpRules writer(Consumer<String> log, Consumer<String> denied) {
            return new TcpRules(cdb, base, program, limit, log, denied);
        }
    }

    /** Checks the options; throws IllegalArgumentException with a one-line reason. */
    static ReadlogConfig of(Readlog o, ConfigFile file) {
        var definitions = definitions(o.parsers, file);
        var policy = new LoginPolicy(o.neverRelay.stream().map(Cidr::parse).toList(), Set.copyOf(o.denyUsers), o.timeout);
        if (!o.listParsers) {
            if (o.tcp.tcpRulesBase != null && o.tcp.tcpRules == null) {
                throw new IllegalArgumentException("--tcprules-base needs --tcprules CDB");
            }
            if (o.tcp.tcpRulesRefresh && o.tcp.tcpRules == null) {
                throw new IllegalArgumentException("--tcprules-refresh needs --tcprules CDB (tcprules = CDB in the configuration file)");
            }
            if (o.tcp.tcpRulesWait.isNegative() || o.tcp.tcpRulesWait.isZero()) {
                throw new IllegalArgumentException("--tcprules-wait must be longer than 0s");
            }
            if (o.policyOptions.policyAction.isEmpty() || o.policyOptions.policyAction.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException("--policy-action must be one line of text, such as OK or PERMIT");
            }
            PolicyServer.permissions(o.policyOptions.policyMode); // says what is wrong with a bad mode
            if (o.policyOptions.policyConnectionsPerClient < 1) {
                throw new IllegalArgumentException("--policy-connections-per-client must be at least 1");
            }
            if ((o.policyOptions.budgetPerGrant != 0 || o.policyOptions.budgetPerUser != 0) && o.policyOptions.policy.isEmpty()) {
                throw new IllegalArgumentException("--budget-recipients-per-grant and --budget-recipients-per-user need --policy ADDRESS: the policy service counts");
            }
            if (!o.tcp.tcpRulesRefresh && o.logs.isEmpty() && o.sources.fifos.isEmpty() && o.clusterOptions.cluster == null && !o.sources.journal && o.sources.dovecotPolicy == null) {
                throw new IllegalArgumentException("no log to follow: give --log PATH, --log - or --fifo PATH (or log = PATH in the"
                        + " configuration file), --journal, --dovecot-policy ADDRESS or --cluster URL");
            }
            if (!o.sources.journal && (!o.sources.journalMatches.isEmpty() || o.sources.journalDirectory != null)) {
                throw new IllegalArgumentException("--journal-match and --journal-directory need --journal");
            }
            if (o.sources.dovecotPolicy == null && o.sources.dovecotPolicySecretFile != null) {
                throw new IllegalArgumentException("--dovecot-policy-secret-file needs --dovecot-policy ADDRESS");
            }
            if (!o.dryRun) {
                var bad = DatabaseDirectory.problem("--db", o.db, true);
                if (bad == null && o.state != null) {
                    bad = DatabaseDirectory.problem("--state", o.state, true);
                }
                if (bad != null) {
                    throw new IllegalArgumentException(bad);
                }
            }
        }
        var db = o.db == null || o.db.toString().isEmpty() ? o.db : o.db.toAbsolutePath();
        var state = o.state != null ? o.state.toAbsolutePath() : db == null || db.toString().isEmpty() ? null : new DatabaseLayout(db).state();
        var cluster = o.clusterOptions.cluster == null || o.listParsers ? null : ClusterSettings.of(o.clusterOptions.cluster, o.clusterOptions.clusterUser, o.clusterOptions.clusterPasswordFile,
                o.clusterOptions.clusterCa, o.clusterOptions.clusterName, new ClusterSettings.SentinelOptions(o.clusterOptions.clusterSentinels, o.clusterOptions.clusterMaster, o.clusterOptions.clusterSentinelUser,
                        o.clusterOptions.clusterSentinelPasswordFile, o.clusterOptions.clusterPrimaries), o.clusterOptions.clusterHost != null ? o.clusterOptions.clusterHost : hostName());
        JournalReader.Settings journal = null;
        if (o.sources.journal) {
            var matches = o.sources.journalMatches.isEmpty() ? JournalTrust.defaultMatches(definitions) : o.sources.journalMatches;
            if (matches.isEmpty()) {
                throw new IllegalArgumentException("--journal: the definitions chosen name no unit; give --journal-match FIELD=VALUE");
            }
            journal = new JournalReader.Settings(o.sources.journalDirectory == null ? null : o.sources.journalDirectory.toAbsolutePath(), matches, o.sources.journalctl);
        }
        var dovecotPolicy = o.sources.dovecotPolicy == null || o.listParsers ? null : AuthPolicyServer.Settings.of(o.sources.dovecotPolicy, o.sources.dovecotPolicySecretFile);
        var tcpRules = o.tcp.tcpRules == null ? null : new TcpRulesSettings(o.tcp.tcpRules.toAbsolutePath(),
                o.tcp.tcpRulesBase == null ? null : o.tcp.tcpRulesBase.toAbsolutePath(), o.tcp.tcpRulesProgram, o.tcp.tcpRulesWait);
        return new ReadlogConfig(file.path(), List.copyOf(o.logs), List.copyOf(o.sources.fifos), db, o.dbGroup, state, o.timeout, o.once,
                o.keepWhileConnected, o.keepAtMost, tcpRules, o.sources.fifoQueue, o.summaryEvery, o.pollMillis, o.rotateWait,
                definitions, policy, cluster, new PolicySettings(o.policyOptions.policy.stream().map(PolicyAddress::parse).toList(), o.policyOptions.policyMode,
                        o.policyOptions.policyGroup, o.policyOptions.policyAction, o.policyOptions.policyIdle, o.policyOptions.policyConnectionsPerClient,
                        new Budget.Limits(o.policyOptions.budgetPerGrant, o.policyOptions.budgetPerUser, o.policyOptions.budgetWindow)), o.metricsOptions.metrics, journal, dovecotPolicy,
                BlastSettings.of(o.blastOptions.policySender, o.blastOptions.senderDomains, o.blastOptions.senderLoginMap, o.blastOptions.sharedUsers,
                        o.blastOptions.sharedNetworks, o.blastOptions.sharedGrant, o.blastOptions.sharedTimeout, o.blastOptions.flagNetworks,
                        o.blastOptions.flagFor, o.blastOptions.flagKeepsGrants),
                o.socketmap.settings());
    }

    /** This host's name, as the cluster's default name of it: the kernel's, else what the resolver says. */
    private static String hostName() {
        try {
            var name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException e) {
            // not Linux
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** The built-in definitions and the admin's {@code custom.NAME = expression} ones, narrowed by {@code --parser}. */
    private static List<ServerDefinition> definitions(List<String> parsers, ConfigFile file) {
        var all = new ArrayList<>(ServerDefinition.builtIn());
        file.entries().forEach((key, values) -> {
            if (key.startsWith("custom.")) {
                all.add(ServerDefinition.custom(key.substring("custom.".length()), values));
            }
        });
        if (parsers.isEmpty()) {
            return all;
        }
        var names = all.stream().map(ServerDefinition::name).toList();
        for (var p : parsers) {
            if (!names.contains(p)) {
                throw new IllegalArgumentException("unknown parser '" + p + "' (known: " + String.join(", ", names) + ")");
            }
        }
        return all.stream().filter(d -> parsers.contains(d.name())).toList();
    }

    /**
     * The settings that differ from {@code running} and that a SIGHUP cannot apply, by option
     * name: they are held open or shape the state (the database, the state, the FIFOs, ...).
     */
    List<String> needRestart(ReadlogConfig running) {
        var out = new ArrayList<String>();
        check(out, "db", db, running.db);
        check(out, "db-group", dbGroup, running.dbGroup);
        check(out, "state", state, running.state);
        check(out, "fifo", fifos, running.fifos);
        check(out, "fifo-queue", fifoQueue, running.fifoQueue);
        check(out, "tcprules", tcpRules == null ? null : tcpRules.cdb(), running.tcpRules == null ? null : running.tcpRules.cdb());
        check(out, "tcprules-base", tcpRules == null ? null : tcpRules.base(), running.tcpRules == null ? null : running.tcpRules.base());
        check(out, "tcprules-program", tcpRules == null ? null : tcpRules.program(),
                running.tcpRules == null ? null : running.tcpRules.program());
        check(out, "keep-while-connected", keepWhileConnected, running.keepWhileConnected);
        check(out, "poll-ms", pollMillis, running.pollMillis);
        check(out, "cluster", cluster, running.cluster);
        check(out, "policy", policyService.service(), running.policyService.service());
        check(out, "budget-*", policyService.budget(), running.policyService.budget());
        check(out, "metrics", metrics, running.metrics);
        check(out, "journal", journal, running.journal);
        check(out, "dovecot-policy", dovecotPolicy, running.dovecotPolicy);
        check(out, "socketmap", socketmap, running.socketmap);
        return out;
    }

    /**
     * This configuration with the settings a reload cannot change taken from {@code running}:
     * what the daemon goes on with after a SIGHUP.
     */
    ReadlogConfig keeping(ReadlogConfig running) {
        return new ReadlogConfig(configPath, logs, running.fifos, running.db, running.dbGroup, running.state, timeout, once,
                running.keepWhileConnected, keepAtMost, running.tcpRules, running.fifoQueue, summaryEvery,
                running.pollMillis, rotateWait, definitions, policy, running.cluster, running.policyService, running.metrics,
                running.journal, running.dovecotPolicy, blast, running.socketmap);
    }

    private static void check(List<String> out, String name, Object mine, Object theirs) {
        if (!Objects.equals(mine, theirs)) {
            out.add(name);
        }
    }
}
