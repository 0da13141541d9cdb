package org.poplock.packaging;

import java.nio.file.Path;

/**
 * What the package phase made, as the build names it (failsafe passes the names in): the .deb
 * jdeb wrote, named by the project's version in Debian's spelling, and the tarball, named by the
 * project's version.
 */
final class Built {

    private Built() {
    }

    static Path deb() {
        return Path.of(property("poplock.deb")).toAbsolutePath();
    }

    static String version() {
        return property("poplock.version");
    }

    static Path tarball() {
        return Launchers.TARGET.resolve("poplock-" + version() + ".tar.gz");
    }

    private static String property(String name) {
        var value = System.getProperty(name);
        if (value == null || value.isEmpty() || value.startsWith("${")) {
            throw new IllegalStateException(name + " is not set: run the integration tests through mvn verify, after the package phase");
        }
        return value;
    }
}
