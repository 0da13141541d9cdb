/* The PROGRAM the end-to-end tests hand to relaylock: reports what it inherited. */
#include <dirent.h>
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
  if (d) closedir(d);
  FILE *st = fopen("/proc/self/status", "r");
  char line[256];
  while (st && fgets(line, sizeof line, st)) {
    if (!strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7)) fputs(line, stdout);
  }
  if (st) fclose(st);
  return 0;
}
