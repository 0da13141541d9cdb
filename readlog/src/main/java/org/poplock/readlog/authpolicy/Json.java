package org.poplock.readlog.authpolicy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.poplock.common.address.Printable;

/**
 * A strict JSON reader (RFC 8259) for the small objects Dovecot's auth policy client posts: an
 * object of strings, booleans, numbers and null, nested at most a few levels. A request body is
 * attacker input: anything else, a duplicate key or trailing text is an {@link IllegalArgumentException}
 * with a short reason. Numbers are kept as their text.
 */
final class Json {

    private static final int MAX_DEPTH = 8;

    private final String text;
    private int at;

    private Json(String text) {
        this.text = text;
    }

    /** The object {@code text} holds. */
    static Map<String, Object> object(String text) {
        var json = new Json(text);
        json.space();
        if (json.peek() != '{') {
            throw new IllegalArgumentException("not a JSON object");
        }
        var value = json.value(0);
        json.space();
        if (json.at != text.length()) {
            throw new IllegalArgumentException("text after the JSON object at " + json.at);
        }
        @SuppressWarnings("unchecked")
        var map = (Map<String, Object>) value;
        return map;
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("JSON nested deeper than " + MAX_DEPTH);
        }
        space();
        char c = peek();
        switch (c) {
            case '{' -> {
                at++;
                var map = new LinkedHashMap<String, Object>();
                space();
                if (peek() == '}') {
                    at++;
                    return map;
                }
                while (true) {
                    space();
                    if (peek() != '"') {
                        throw bad("a key");
                    }
                    var key = string();
                    space();
                    expect(':');
                    if (map.containsKey(key)) {
                        throw new IllegalArgumentException("duplicate key " + Printable.of(key));
                    }
                    map.put(key, value(depth + 1));
                    space();
                    if (peek() == ',') {
                        at++;
                    } else {
                        expect('}');
                        return map;
                    }
                }
            }
            case '[' -> {
                at++;
                var list = new ArrayList<Object>();
                space();
                if (peek() == ']') {
                    at++;
                    return list;
                }
                while (true) {
                    list.add(value(depth + 1));
                    space();
                    if (peek() == ',') {
                        at++;
                    } else {
                        expect(']');
                        return Collections.unmodifiableList(list);
                    }
                }
            }
            case '"' -> {
                return string();
            }
            case 't' -> {
                word("true");
                return Boolean.TRUE;
            }
            case 'f' -> {
                word("false");
                return Boolean.FALSE;
            }
            case 'n' -> {
                word("null");
                return null;
            }
            default -> {
                return number();
            }
        }
    }

    private String string() {
        expect('"');
        var sb = new StringBuilder();
        while (true) {
            if (at >= text.length()) {
                throw bad("the end of a string");
            }
            char c = text.charAt(at++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw bad("no control character in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (at >= text.length()) {
                throw bad("an escape");
            }
            char e = text.charAt(at++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (at + 4 > text.length() || !text.substring(at, at + 4).matches("[0-9A-Fa-f]{4}")) {
                        throw bad("four hex digits after \\u");
                    }
                    sb.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> throw bad("a known escape");
            }
        }
    }

    private String number() {
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        var n = text.substring(start, at);
        if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
            throw bad("a value");
        }
        return n;
    }

    private void word(String w) {
        if (!text.startsWith(w, at)) {
            throw bad("a value");
        }
        at += w.length();
    }

    private void expect(char c) {
        if (peek() != c) {
            throw bad("'" + c + "'");
        }
        at++;
    }

    private char peek() {
        return at < text.length() ? text.charAt(at) : '\0';
    }

    private void space() {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
    }

    private IllegalArgumentException bad(String expected) {
        return new IllegalArgumentException("malformed JSON: expected " + expected + " at " + at);
    }
}
