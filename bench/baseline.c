/* The C baseline for relaylock's cost: what relay-ctrl-check does. Read TCPREMOTEIP, one stat of
 * the database, setenv, execv. Built and run by bench/relaylock.py beside relaylock itself. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct stat st;
  const char *ip = getenv("TCPREMOTEIP");
  if (argc < 3) return 111;
  if (ip && stat(argv[1], &st) == 0 && st.st_size > 0) setenv("RELAYCLIENT", "", 1);
  execv(argv[2], argv + 2);
  return 111;
}
