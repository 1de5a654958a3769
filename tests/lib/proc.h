/*
 * tests/lib/proc.h: test servers as real child processes.
 */
#ifndef CRPC_TEST_PROC_H
#define CRPC_TEST_PROC_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct test_proc {
  pid_t pid;
  int port; /* from the child's "listening on ...:PORT" line, 0 if none */
} test_proc;

/*
 * Starts |argv| (argv[0] a path), waits up to 10 s for a line containing
 * "listening" on its stdout (ending in ":PORT" for TCP servers), and
 * returns false if none came.
 */
bool test_proc_start(test_proc *p, char *const argv[]);

/* Sends |sig| and waits for the child; returns its wait status. */
int test_proc_stop(test_proc *p, int sig);

/*
 * test_proc_start() of the build's tests/integration/test_server listening
 * on |listen| (HOST:PORT, PORT 0 for any; NULL for 127.0.0.1:0).
 */
bool test_proc_start_test_server(test_proc *p, const char *listen);

/* The build directory (top_builddir from make check, else "."). */
const char *test_builddir(void);

#endif /* CRPC_TEST_PROC_H */
