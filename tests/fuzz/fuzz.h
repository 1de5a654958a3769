/*
 * tests/fuzz/fuzz.h: what every fuzz target defines, and what the harness
 * around it (libFuzzer, or replay.c under `make check`) calls.
 *
 * A target returns 0 for every input and aborts (or trips a sanitizer) when
 * the code under test breaks one of its promises; abort() is the finding.
 */
#ifndef CRPC_FUZZ_H
#define CRPC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional one-time set-up before the first input (libFuzzer's hook). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * 1 under replay.c; undefined (its address NULL) under libFuzzer. Lets a
 * target run per input a check it runs only now and then when fuzzing.
 */
extern int crpc_fuzz_replaying __attribute__((weak));
#define FUZZ_REPLAYING() (&crpc_fuzz_replaying != NULL && crpc_fuzz_replaying)

/* A broken promise: says which, then aborts so the harness records it. */
#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__,    \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#endif /* CRPC_FUZZ_H */
