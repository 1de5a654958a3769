/*
 * tests/unit/failmalloc.h: runs an operation with allocation failure
 * injected at every point, in the manner of nghttp2's tests/failmalloc.c.
 *
 * An operation builds something through the code under test, checks it and
 * frees everything it made, returning the first non-OK code it met. It is
 * run with the 0th, 1st, 2nd... allocation failing until it succeeds: each
 * failed run must return the expected out-of-memory code, and leaks on the
 * failure paths show up in the --enable-sanitizers build (LeakSanitizer)
 * and under valgrind.
 */
#ifndef CRPC_TEST_FAILMALLOC_H
#define CRPC_TEST_FAILMALLOC_H

#include <criterion/criterion.h>

#include "base/mem.h"
#include "crpc/common.h"

/* More allocations than any operation here makes: a run that still fails
 * after this many is a failure path that loops or retries forever. */
#define FAILMALLOC_MAX_POINTS 10000

typedef crpc_code failmalloc_op(void *arg);

/*
 * Runs |op| failing at every allocation point; every failure must return
 * |oom_code|. Returns the number of allocations of the successful run, so
 * that a caller can assert the operation allocates at all.
 */
static inline long failmalloc_run(const char *name, failmalloc_op *op,
                                  void *arg, crpc_code oom_code) {
  for (long n = 0; n < FAILMALLOC_MAX_POINTS; n++) {
    crpc_mem_fail_after(n);
    crpc_code rc = op(arg);
    crpc_mem_fail_after(-1);
    if (rc == CRPC_OK)
      return n;
    cr_assert_eq(rc, oom_code, "%s: allocation %ld failed: code %d", name, n,
                 rc);
  }
  cr_assert_fail("%s: still failing after %d allocations", name,
                 FAILMALLOC_MAX_POINTS);
  return -1;
}

/* An operation that must succeed with every allocation failing. */
static inline void failmalloc_never_allocates(const char *name,
                                              failmalloc_op *op, void *arg) {
  crpc_mem_fail_after(0);
  crpc_code rc = op(arg);
  crpc_mem_fail_after(-1);
  cr_assert_eq(rc, CRPC_OK, "%s needs memory: code %d", name, rc);
}

#endif /* CRPC_TEST_FAILMALLOC_H */
