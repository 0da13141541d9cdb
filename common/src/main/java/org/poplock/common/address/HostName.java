package org.poplock.common.address;

import java.util.regex.Pattern;

/**
 * A host's name as cluster hosts and the journal give it: letters, digits, dots and hyphens,
 * starting with a letter or a digit (RFC 1123 lets a label start with a digit), at most 253
 * characters: RFC 1035 limits a name to 255 octets on the wire, and its text form is two shorter
 * (the first label's length octet and the root's empty label have no character of their own).
 */
public final class HostName {

    public static final int MAX_LENGTH = 253;
    private static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0," + (MAX_LENGTH - 1) + "}");

    private HostName() {
    }

    public static boolean isValid(String text) {
        return PATTERN.matcher(text).matches();
    }
}
