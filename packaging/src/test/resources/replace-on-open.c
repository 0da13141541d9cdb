/*
 * Preloaded into relaylock by RelaylockTest: plays a writer that replaces a large table between
 * the moment relaylock opened its base and the moment it opens the delta that base names. The
 * first time the process opens $REPLACE_ON_OPEN, before the open happens, $REPLACE_FROM is
 * renamed to $REPLACE_TO (the new base) and $REPLACE_ON_OPEN (the old delta) is removed, as
 * readlog removes a delta two bases on. Nothing else is changed: every open goes to the C library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int done;

static void replace_if_named(const char *path) {
  const char *on = getenv("REPLACE_ON_OPEN");
  if (done || on == NULL || path == NULL || strcmp(path, on) != 0) return;
  done = 1;
  if (rename(getenv("REPLACE_FROM"), getenv("REPLACE_TO")) != 0) perror("replace-on-open: rename");
  if (unlink(on) != 0) perror("replace-on-open: unlink");
}

static mode_t mode_of(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

#define WRAP_OPEN(name)                                               \
  int name(const char *path, int flags, ...) {                        \
    va_list ap;                                                       \
    va_start(ap, flags);                                              \
    mode_t mode = mode_of(flags, ap);                                 \
    va_end(ap);                                                       \
    replace_if_named(path);                                           \
    int (*real)(const char *, int, ...) = dlsym(RTLD_NEXT, #name);    \
    return real(path, flags, mode);                                   \
  }

#define WRAP_OPENAT(name)                                             \
  int name(int dir, const char *path, int flags, ...) {               \
    va_list ap;                                                       \
    va_start(ap, flags);                                              \
    mode_t mode = mode_of(flags, ap);                                 \
    va_end(ap);                                                       \
    replace_if_named(path);                                           \
    int (*real)(int, const char *, int, ...) = dlsym(RTLD_NEXT, #name); \
    return real(dir, path, flags, mode);                              \
  }

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)
