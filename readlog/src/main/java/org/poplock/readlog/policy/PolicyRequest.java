package org.poplock.readlog.policy;

/**
 * What a policy request's answer may depend on, and only that: Postfix sends some twenty
 * attributes, and a request in progress keeps these few, each at most {@link #MAX_VALUE} bytes of
 * UTF-8 (a longer one is kept as absent: no address Postfix passes is that long), so a client
 * costs a few KiB of heap whatever it sends. Null for an attribute the request did not carry.
 */
public record PolicyRequest(String request, String clientAddress, String protocolState, String sender, String saslUsername, String instance,
        String recipient) {

    /** Bytes of one kept value; {@code request} and {@code client_address} are bounded by the line alone, as ever. */
    public static final int MAX_VALUE = 1024;

    /** Whether an attribute of this name is kept (every other one is read and forgotten, never made into text). */
    static boolean keeps(String name) {
        return switch (name) {
            case "request", "client_address", "protocol_state", "sender", "sasl_username", "instance", "recipient" -> true;
            default -> false;
        };
    }

    /** A request as its lines arrive; reused for the next request of the connection. */
    static final class Builder {
        private String request;
        private String clientAddress;
        private String protocolState;
        private String sender;
        private String saslUsername;
        private String instance;
        private String recipient;

        /** One {@code name=value} line (its value {@code bytes} long in UTF-8); the last of a name counts. Every other name is forgotten. */
        void take(String name, String value, int bytes) {
            switch (name) {
                case "request" -> request = value;
                case "client_address" -> clientAddress = value;
                case "protocol_state" -> protocolState = bounded(value, bytes);
                case "sender" -> sender = bounded(value, bytes);
                case "sasl_username" -> saslUsername = bounded(value, bytes);
                case "instance" -> instance = bounded(value, bytes);
                case "recipient" -> recipient = bounded(value, bytes);
                default -> {
                }
            }
        }

        private static String bounded(String value, int bytes) {
            return bytes > MAX_VALUE ? null : value;
        }

        /** The request now whole; the builder starts empty again. */
        PolicyRequest build() {
            var whole = new PolicyRequest(request, clientAddress, protocolState, sender, saslUsername, instance, recipient);
            request = clientAddress = protocolState = sender = saslUsername = instance = recipient = null;
            return whole;
        }
    }
}
