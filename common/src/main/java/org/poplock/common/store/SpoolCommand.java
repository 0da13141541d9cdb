package org.poplock.common.store;

import org.poplock.common.address.IpAddress;
import org.poplock.common.address.UserName;

/**
 * An admin's change as it travels from showallowed to readlog through the {@link Spool}: one line,
 * {@code add IP SECONDS USER}, {@code remove IP}, {@code unflag USER} or {@code flush}. Written by {@link #encode},
 * read back by {@link #parse}; nothing else speaks this language.
 */
public sealed interface SpoolCommand {

    /** {@code ip} may relay for {@code seconds} from when readlog applies it, shown as {@code user}. */
    record Add(String ip, long seconds, String user) implements SpoolCommand {
        public Add {
            ip = IpAddress.canonical(ip);
            var notAClient = IpAddress.notAClient(ip);
            if (notAClient != null) {
                throw new IllegalArgumentException(ip + ": no client can have this address (" + notAClient + ")");
            }
            if (seconds <= 0) {
                throw new IllegalArgumentException("a grant must last a second at least");
            }
            if (!UserName.isValid(user)) {
                throw new IllegalArgumentException("the user must be one line of printable text, at most " + UserName.MAX_LENGTH + " characters");
            }
        }
    }

    record Remove(String ip) implements SpoolCommand {
        public Remove {
            ip = IpAddress.canonical(ip);
        }
    }

    record Flush() implements SpoolCommand {
    }

    /** The flag on {@code user} (logins from too many networks) is lifted: their logins grant again. */
    record Unflag(String user) implements SpoolCommand {
        public Unflag {
            if (user.isEmpty() || user.chars().anyMatch(c -> c < ' ' || c == 0x7f)) {
                throw new IllegalArgumentException("the user must be one line of printable text");
            }
        }
    }

    default String encode() {
        if (this instanceof Add a) {
            return "add " + a.ip() + " " + a.seconds() + " " + a.user();
        }
        if (this instanceof Unflag u) {
            return "unflag " + u.user();
        }
        return this instanceof Remove r ? "remove " + r.ip() : "flush";
    }

    /** Reads a line {@link #encode} wrote; throws IllegalArgumentException with a one-line reason for anything else. */
    static SpoolCommand parse(String line) {
        var words = line.strip().split(" ", 4);
        try {
            return switch (words[0]) {
                case "add" -> new Add(words[1], Long.parseLong(words[2]), words.length > 3 ? words[3] : "(admin)");
                case "remove" -> new Remove(words[1]);
                case "flush" -> new Flush();
                case "unflag" -> new Unflag(line.strip().substring("unflag ".length()));
                default -> throw new IllegalArgumentException("unknown command");
            };
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            throw new IllegalArgumentException("malformed command");
        }
    }
}
