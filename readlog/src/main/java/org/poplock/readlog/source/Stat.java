package org.poplock.readlog.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/** inode, size and modification time of what is at a path now. */
record Stat(long inode, long size, FileTime modified) {

    /** What is at {@code p} now, or null if nothing is. */
    static Stat of(Path p) throws IOException {
        try {
            var attrs = Files.readAttributes(p, "unix:ino,size,lastModifiedTime");
            return new Stat((Long) attrs.get("ino"), (Long) attrs.get("size"), (FileTime) attrs.get("lastModifiedTime"));
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
