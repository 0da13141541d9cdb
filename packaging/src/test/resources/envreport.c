/* The PROGRAM the end-to-end tests hand to relaylock: reports what it inherited. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *relay = getenv("RELAYCLIENT");
  if (relay) printf("RELAYCLIENT=[%s]\n", relay); else printf("RELAYCLIENT unset\n");
  const char *remote = getenv("TCPREMOTEIP");
  printf("TCPREMOTEIP=%s\n", remote ? remote : "(unset)");
  printf("ARGS");
  for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
  printf("\n");
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  printf("FDS");
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d)) continue;
    printf(" %s", e->d_name);
  }
  printf("\n");
  if (d) rewinddir(d);
  while (d && (e = readdir(d))) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd == dirfd(d) || fd <= 2) continue;
    char path[64], info[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *fi = fopen(path, "r");
    while (fi && fgets(info, sizeof info, fi)) {
      if (!strncmp(info, "flags:", 6)) printf("FDFLAGS %d %s", fd, info + 6 + strspn(info + 6, " \t"));
    }
    if (fi) fclose(fi);
  }
  if (d) closedir(d);
  FILE *st = fopen("/proc/self/status", "r");
  char line[256];
  while (st && fgets(line, sizeof line, st)) {
    if (!strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7)) fputs(line, stdout);
  }
  if (st) fclose(st);
  return 0;
}
