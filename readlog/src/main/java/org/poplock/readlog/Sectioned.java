package org.poplock.readlog;

/** A feature's options, listed under their own heading in {@code readlog --help}. */
interface Sectioned {
    String heading();
}
