package org.poplock.readlog.state;

/** Grants for the test of a reader of them (the policy service, the socketmap): nothing is saved. */
public final class UnsavedGrants {

    private UnsavedGrants() {
    }

    public static Grants of() {
        return new Grants(new Grants.Changes() {
            @Override
            public void put(String ip, byte[] value) {
            }

            @Override
            public void remove(String ip) {
            }
        });
    }
}
