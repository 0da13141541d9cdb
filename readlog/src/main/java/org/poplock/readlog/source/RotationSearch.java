package org.poplock.readlog.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The rotated files beside a followed path ({@code PATH.1}, {@code PATH-20261201}, uncompressed)
 * that a saved position or a truncated file's offset may continue in: found by inode (a renamed
 * file) or by content alone (a copy, as copytruncate makes).
 */
final class RotationSearch {

    private static final Set<String> COMPRESSED = Set.of(".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".lzma", ".lzo");

    /** A regular file beside the path with a rotated name and not open already, as it was when listed. */
    record Candidate(Path file, Stat at) {
    }

    /** A rotated file found for a saved position: opened, not yet read, and when it was last written. */
    record Found(Path file, OpenLog log, FileTime modified) {
    }

    private final Path path;
    private final RotatedLogs held;
    private final ByteBuffer buffer;
    private final Consumer<String> warn;

    RotationSearch(Path path, RotatedLogs held, ByteBuffer buffer, Consumer<String> warn) {
        this.path = path;
        this.held = held;
        this.buffer = buffer;
        this.warn = warn;
    }

    /**
     * The rotated file beside the path that {@code p} was read from, opened: by inode
     * ({@code sameInode}, a renamed file) or by content alone (a copy, as copytruncate makes).
     */
    Found find(LogPosition p, boolean sameInode, long now) throws IOException {
        if (!sameInode && p.tailHash() == 0) {
            return null; // nothing to tell the copy by
        }
        for (var c : beside()) {
            if (sameInode != (c.at().inode() == p.inode())) {
                continue;
            }
            OpenLog candidate;
            try {
                candidate = OpenLog.open(c.file(), c.at().inode(), warn, buffer, now);
            } catch (IOException e) {
                continue; // unreadable or gone: not the one
            }
            try {
                if (candidate.continues(p)) {
                    return new Found(c.file(), candidate, c.at().modified());
                }
            } catch (IOException e) {
                // unreadable now: not the one
            }
            candidate.close();
        }
        return null;
    }

    /** The rotated files written after {@code after}, other than the file at the path, oldest first. */
    List<Candidate> laterThan(FileTime after, long currentInode) throws IOException {
        return beside().stream().filter(c -> c.at().inode() != currentInode && c.at().modified().compareTo(after) > 0)
                .sorted(Comparator.comparing(c -> c.at().modified())).toList();
    }

    private List<Candidate> beside() throws IOException {
        var base = path.getFileName().toString();
        var out = new ArrayList<Candidate>();
        try (var files = Files.list(path.toAbsolutePath().getParent())) {
            for (var f : files.filter(f -> isRotatedName(base, f.getFileName().toString())).sorted().toList()) {
                var at = Stat.of(f);
                if (at != null && Files.isRegularFile(f) && !held.holds(at.inode())) {
                    out.add(new Candidate(f, at));
                }
            }
        }
        return out;
    }

    private static boolean isRotatedName(String base, String name) {
        if (name.length() <= base.length() + 1 || !name.startsWith(base)) {
            return false;
        }
        char c = name.charAt(base.length());
        if (c != '.' && c != '-' && c != '_') {
            return false;
        }
        int dot = name.lastIndexOf('.');
        return dot < 0 || !COMPRESSED.contains(name.substring(dot));
    }
}
