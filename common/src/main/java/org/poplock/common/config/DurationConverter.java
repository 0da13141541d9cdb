package org.poplock.common.config;

import java.time.Duration;
import picocli.CommandLine;

/** picocli's reading of a duration option ({@code 15m}, {@code 900s}): the rules and limits of {@link Timeouts}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Timeouts.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
