package org.poplock.packaging;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The processes a test started, killed after it whatever its outcome, so that no readlog of a
 * failed test goes on holding ports and files: {@code @RegisterExtension final Processes processes = new Processes();}
 */
final class Processes implements AfterEachCallback {

    private final List<Process> started = new ArrayList<>();

    Process start(ProcessBuilder builder) throws IOException {
        var p = builder.start();
        started.add(p);
        return p;
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        for (var p : started) {
            p.destroyForcibly();
            p.waitFor();
        }
        started.clear();
    }
}
