package org.poplock.readlog.tcprules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An admin's tcprules(1) rules, read as ucspi-tcp 0.88's tcprules reads them, and the rule
 * tcpserver follows for a client address: the exact address, then ever shorter prefixes of it
 * ending in a dot (with the IPv6 build also in a colon), then the empty rule; for a key given
 * twice, the first. Rules for {@code TCPREMOTEINFO@} and {@code =host} keys are kept but never
 * chosen here: readlog knows neither a client's ident answer nor its host name.
 *
 * @param rules every rule in the file's order
 * @param ipv6 read as the IPv6 build of tcprules (ucspi-tcp-ipv6) reads them
 */
public record RulesFile(List<Rule> rules, boolean ipv6) {

    /** One environment variable a rule sets: {@code ,NAME=dVALUEd} for any delimiter d. */
    public record Variable(String name, String value) {
    }

    /**
     * One rule line.
     *
     * @param line its line number
     * @param address the address as written (a range still as a range)
     * @param instructions everything after the address's colon: {@code allow} or {@code deny}, then the variables
     * @param keys the addresses it stands for, a range expanded
     */
    public record Rule(int line, String address, boolean deny, List<Variable> variables, String instructions, List<String> keys) {

        public boolean sets(String name) {
            return variables.stream().anyMatch(v -> v.name().equals(name));
        }
    }

    public RulesFile {
        rules = List.copyOf(rules);
    }

    /**
     * Reads {@code text}; throws IllegalArgumentException naming the first line tcprules would
     * refuse (and, for the IPv6 build, a line it would loop on for ever: one without
     * {@code :allow} or {@code :deny}).
     */
    public static RulesFile parse(String text, boolean ipv6) {
        var rules = new ArrayList<Rule>();
        int number = 0;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            var line = end < 0 ? text.substring(start) : text.substring(start, end);
            start = end < 0 ? text.length() : end + 1;
            number++;
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            int len = line.length();
            while (len > 0 && (line.charAt(len - 1) == ' ' || line.charAt(len - 1) == '\t')) {
                len--;
            }
            line = line.substring(0, len);
            int colon = ipv6 ? instructionColon(line) : line.indexOf(':');
            if (colon < 0) {
                if (ipv6) {
                    throw bad(number, line, "no ADDRESS:allow or ADDRESS:deny (the IPv6 tcprules never finishes on such a line)");
                }
                continue; // tcprules skips a line without a colon
            }
            rules.add(rule(number, line, line.substring(0, colon), line.substring(colon + 1)));
        }
        return new RulesFile(rules, ipv6);
    }

    /** The IPv6 tcprules ends the address at the first colon that is followed by allow or deny. */
    private static int instructionColon(String line) {
        for (int i = line.indexOf(':'); i >= 0; i = line.indexOf(':', i + 1)) {
            if (line.startsWith("allow", i + 1) || line.startsWith("deny", i + 1)) {
                return i;
            }
        }
        return -1;
    }

    private static Rule rule(int number, String line, String address, String instructions) {
        boolean deny;
        int at;
        if (instructions.startsWith("deny")) {
            deny = true;
            at = 4;
        } else if (instructions.startsWith("allow")) {
            deny = false;
            at = 5;
        } else {
            throw bad(number, line, "the instructions must begin with allow or deny");
        }
        var variables = new ArrayList<Variable>();
        while (at < instructions.length()) {
            if (instructions.charAt(at) != ',') {
                throw bad(number, line, "expected ,NAME=\"VALUE\" at \"" + instructions.substring(at) + "\"");
            }
            int equals = instructions.indexOf('=', at);
            if (equals < 0 || equals + 1 >= instructions.length()) {
                throw bad(number, line, "a variable without =\"VALUE\"");
            }
            char delimiter = instructions.charAt(equals + 1);
            int close = instructions.indexOf(delimiter, equals + 2);
            if (close < 0) {
                throw bad(number, line, "the value of " + instructions.substring(at + 1, equals) + " is not closed by " + delimiter);
            }
            variables.add(new Variable(instructions.substring(at + 1, equals), instructions.substring(equals + 2, close)));
            at = close + 1;
        }
        return new Rule(number, address, deny, variables, instructions, keys(number, line, address));
    }

    /**
     * tcprules' address ranges: the first {@code -} in an address of neither a host name nor
     * TCPREMOTEINFO joins two numbers between dots ({@code 1.2.3.37-53}, {@code 10.2-3.}), each
     * of which becomes a rule; the top is capped at 255, and a range from above to below stands
     * for nothing.
     */
    private static List<String> keys(int number, String line, String address) {
        int dash = address.indexOf('-');
        if (dash < 0 || address.indexOf('=') >= 0 || address.indexOf('@') >= 0) {
            return List.of(address);
        }
        int left = address.lastIndexOf('.', dash - 1) + 1;
        int dot = address.indexOf('.', dash + 1);
        int right = dot < 0 ? address.length() : dot;
        long bottom = number(number, line, address.substring(left, dash));
        long top = Math.min(255, number(number, line, address.substring(dash + 1, right)));
        var keys = new ArrayList<String>();
        for (long n = bottom; n <= top; n++) {
            keys.add(address.substring(0, left) + n + address.substring(right));
        }
        return keys;
    }

    /** As tcprules reads a range's end: digits only, none at all being 0. */
    private static long number(int number, String line, String digits) {
        if (!digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(number, line, "a range's ends must be numbers");
        }
        var significant = digits.replaceFirst("^0+", "");
        // Anything above 255 means the same as 256: the top is capped, a bottom above it stands for nothing.
        return significant.isEmpty() ? 0 : significant.length() > 3 ? 256 : Math.min(256, Long.parseLong(significant));
    }

    private static IllegalArgumentException bad(int number, String line, String why) {
        return new IllegalArgumentException("line " + number + " (" + line + "): " + why);
    }

    /** Every key and the rule tcpserver finds under it: the first that has it. */
    Map<String, Rule> byKey() {
        var out = new LinkedHashMap<String, Rule>();
        for (var rule : rules) {
            for (var key : rule.keys()) {
                out.putIfAbsent(key, rule);
            }
        }
        return out;
    }

    /** A lookup of the rule tcpserver follows for a client at an address, written as tcpserver writes TCPREMOTEIP. */
    public Lookup lookup() {
        return new Lookup(byKey(), ipv6);
    }

    /** The rules by key, for many addresses. */
    public record Lookup(Map<String, Rule> byKey, boolean ipv6) {

        /** The rule tcpserver follows for {@code ip} with no TCPREMOTEINFO and no host name; empty: none, so it allows. */
        public Optional<Rule> followed(String ip) {
            var exact = byKey.get(ip);
            if (exact != null) {
                return Optional.of(exact);
            }
            for (int len = ip.length(); len > 0; len--) {
                char c = ip.charAt(len - 1);
                if (c == '.' || ipv6 && c == ':') {
                    var rule = byKey.get(ip.substring(0, len));
                    if (rule != null) {
                        return Optional.of(rule);
                    }
                }
            }
            return Optional.ofNullable(byKey.get(""));
        }
    }
}
