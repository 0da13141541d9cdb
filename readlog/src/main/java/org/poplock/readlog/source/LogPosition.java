package org.poplock.readlog.source;

/**
 * How far a log file has been read, and which file it was: its inode and a hash of its first
 * line (as fail2ban keeps), because an inode is reused once a rotated file is deleted. A hash of 0
 * means the file had no complete first line yet.
 */
public record LogPosition(long inode, long firstLineHash, long offset) {
}
