/* base/clock.c: monotonic time for deadlines and timers. */
#include "base/clock.h"

#include <time.h>

int64_t crpc_clock_now_ns(void) {
  struct timespec ts;

  /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

CRPC_API int64_t crpc_now_ms(void) { return crpc_clock_now_ns() / 1000000; }
