package org.poplock.common.address;

/**
 * What a grant may carry as its user, from any source (a log's login, Dovecot's report, an
 * admin's --add, another cluster host): at most {@link #MAX_LENGTH} characters, none of them a
 * control character (C0, DEL or C1), since it is shown in one line of a listing and travels in
 * one line of the spool, the state and the cluster's stream.
 */
public final class UserName {

    /** No mail system's login is longer; one longer is refused before it is stored anywhere. */
    public static final int MAX_LENGTH = 256;

    private UserName() {
    }

    /** Whether {@code user} is one non-empty line of at most {@link #MAX_LENGTH} characters without control characters. */
    public static boolean isValid(String user) {
        if (user.isEmpty() || user.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            if (c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0) {
                return false;
            }
        }
        return true;
    }
}
