/*
 * tests/lib/proc.c: test servers as real child processes.
 */
#include "proc.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int port_in(const char *line) {
  const char *colon = strrchr(line, ':');
  const char *space = strrchr(line, ' ');
  const char *p = colon != NULL ? colon + 1 : space != NULL ? space + 1 : line;
  return atoi(p);
}

bool test_proc_start(test_proc *p, char *const argv[]) {
  int fds[2];
  if (pipe(fds) != 0)
    return false;
  p->pid = fork();
  if (p->pid < 0)
    return false;
  if (p->pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(fds[1]);
  char line[256];
  size_t len = 0;
  p->port = -1;
  struct pollfd pfd = {fds[0], POLLIN, 0};
  time_t until = time(NULL) + 10;
  while (p->port < 0 && time(NULL) < until && poll(&pfd, 1, 1000) >= 0) {
    if (!(pfd.revents & (POLLIN | POLLHUP)))
      continue;
    char c;
    if (read(fds[0], &c, 1) != 1)
      break;
    if (c != '\n' && len < sizeof(line) - 1) {
      line[len++] = c;
      continue;
    }
    line[len] = '\0';
    len = 0;
    if (strstr(line, "listening") != NULL)
      p->port = port_in(line);
  }
  close(fds[0]);
  if (p->port < 0) {
    test_proc_stop(p, SIGKILL);
    return false;
  }
  return true;
}

int test_proc_stop(test_proc *p, int sig) {
  int status = 0;
  if (p->pid <= 0)
    return 0;
  kill(p->pid, sig);
  waitpid(p->pid, &status, 0);
  p->pid = 0;
  return status;
}

bool test_proc_start_test_server(test_proc *p, const char *listen) {
  char path[512], flag[128];
  snprintf(path, sizeof(path), "%s/tests/integration/test_server",
           test_builddir());
  snprintf(flag, sizeof(flag), "--listen=%s",
           listen != NULL ? listen : "127.0.0.1:0");
  char *argv[] = {path, flag, NULL};
  return test_proc_start(p, argv);
}

const char *test_builddir(void) {
  const char *dir = getenv("top_builddir");
  return dir != NULL ? dir : ".";
}
