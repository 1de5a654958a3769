/*
 * tests/soak/load.h: load for fault tests: threads making synchronous
 * crpctest.Test/Run calls on one channel, each with a deadline, counting
 * how every call ended.
 *
 * A fault test moves the load through phases (before the fault, during,
 * after) with soak_load_set_phase; each call is counted by the phase it
 * started in and the phase it ended in, so a test can ask, say, how the
 * calls that were already running when the server got SIGTERM ended.
 */
#ifndef CRPC_SOAK_LOAD_H
#define CRPC_SOAK_LOAD_H

#include <stdint.h>
#include <stdio.h>

#include "crpc/crpc.h"

#define SOAK_PHASES 4
#define SOAK_CODES 17

typedef struct soak_load_opts {
  crpc_channel *channel; /* borrowed; shared by every thread */
  int threads;
  int64_t timeout_ms;   /* per call */
  int handler_sleep_ms; /* Ask.sleep_ms: how long each call stays in flight */
  size_t payload_len;   /* request (and echoed reply) bytes */
  long max_calls;       /* per thread, so that the load is bounded */
  /* Thread i starts i * spread_ms / threads later than thread 0, so that
   * calls of equal length do not start and end in lockstep. */
  int spread_ms;
} soak_load_opts;

typedef struct soak_load_result {
  /* calls[started][ended][code] */
  long calls[SOAK_PHASES][SOAK_PHASES][SOAK_CODES];
  long total;
  /* Calls that returned more than 1 s after their deadline: hung. */
  long late;
  int64_t max_ms; /* longest call */
} soak_load_result;

typedef struct soak_load soak_load;

/* Starts the threads in phase 0. */
crpc_code soak_load_start(soak_load **out, const soak_load_opts *opts);

/* Later calls start in |phase| (< SOAK_PHASES). */
void soak_load_set_phase(soak_load *load, int phase);

/* Stops starting calls, waits for the running ones, fills |result|, frees. */
void soak_load_stop(soak_load *load, soak_load_result *result);

/* Calls with |code| started in |started| (-1: any) and ended in |ended|
 * (-1: any); |code| -1 counts every code. */
long soak_load_count(const soak_load_result *r, int started, int ended,
                     int code);

/* One line per phase pair that saw calls: "phase 0->1: OK 12 UNAVAILABLE 3". */
void soak_load_print(const soak_load_result *r, FILE *out);

#endif /* CRPC_SOAK_LOAD_H */
