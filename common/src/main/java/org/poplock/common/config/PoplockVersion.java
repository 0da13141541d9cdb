package org.poplock.common.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code --version} of every command: "readlog (poplock) 0.1.0", the Maven project's version as
 * the build wrote it into {@code version.properties}, the same version the .deb and the tarball
 * are named by.
 */
public final class PoplockVersion implements IVersionProvider {

    @Spec
    CommandSpec spec;

    /** poplock's version. */
    public static String version() {
        try (InputStream in = PoplockVersion.class.getResourceAsStream("/org/poplock/common/version.properties")) {
            var p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {spec.name() + " (poplock) " + version()};
    }
}
