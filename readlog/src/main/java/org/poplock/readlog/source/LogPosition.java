package org.poplock.readlog.source;

/** How far a log file has been read: which file (by inode, so a rotated file is told apart) and to which byte. */
public record LogPosition(long inode, long offset) {
}
