package org.poplock.readlog.parse;

import java.time.Instant;

/** A log line split into its own timestamp (null when it has none) and the message after it. */
public record StampedLine(Instant time, String message) {
}
