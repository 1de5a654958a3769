/*
 * base/clock.h: the monotonic clock. Deadlines never use wall-clock time,
 * which jumps when the system time is set.
 */
#ifndef CRPC_BASE_CLOCK_H
#define CRPC_BASE_CLOCK_H

#include <stdint.h>

#include "crpc/common.h"

/* Nanoseconds on CLOCK_MONOTONIC (crpc_now_ms() is the same clock in ms). */
int64_t crpc_clock_now_ns(void);

#endif /* CRPC_BASE_CLOCK_H */
