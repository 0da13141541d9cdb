package org.poplock.readlog;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Optional;
import org.poplock.common.address.Printable;
import org.poplock.readlog.metrics.Metrics;
import org.poplock.readlog.parse.Login;
import org.poplock.readlog.parse.LoginParser;

/** {@code --dry-run}: the same loop, with a sink that prints each login and why it would not be recorded; writes nothing. */
final class DryRun {

    private DryRun() {
    }

    static int run(ReadlogConfig config, Clock clock, PrintStream out, Messages log, Signals signals) {
        Inputs sources;
        try {
            sources = Inputs.open(config, Inputs.Saved.NOTHING, clock, new Supervisor(log::say), new Metrics(), log::say);
        } catch (IOException e) {
            log.say(e.getMessage());
            return 111;
        }
        var troubles = new Troubles("", log::say);
        var printer = new FollowLoop.Sink() {
            @Override
            public void login(Login login, Optional<String> refusal) {
                out.println(login.ip() + " " + Printable.word(login.user()) + " " + login.server()
                        + refusal.map(why -> " (not recorded: " + why + ")").orElse(""));
            }

            @Override
            public void failed(String source, String where, String why) {
                troubles.say("failed " + source, source + ": dropped " + where + ": " + why);
            }
        };
        var loop = new FollowLoop(sources, new LoginParser(config.definitions(), clock), config.policy(), printer, false, clock);
        do {
            loop.poll();
            if (loop.ended().isPresent()) {
                break;
            }
        } while (!config.once() && !signals.stopping() && Daemon.pause(config.pollMillis()));
        loop.close();
        return 0;
    }
}
