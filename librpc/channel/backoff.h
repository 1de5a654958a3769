/*
 * channel/backoff.h: connection backoff for one address (grpc
 * doc/connection-backoff.md).
 *
 * Pure logic: the time is passed in and the jitter comes from a random
 * source the caller may replace, so the schedule is tested exactly. Each
 * attempt gets a deadline of its own backoff period, but at least the
 * minimum connect timeout; after a failure the next attempt waits for the
 * end of that period. The first attempt after a reset uses the initial
 * backoff without jitter; each later one grows it x1.6 up to the maximum,
 * with +-20% jitter.
 */
#ifndef CRPC_BACKOFF_H
#define CRPC_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define CRPC_BACKOFF_MULTIPLIER 1.6
#define CRPC_BACKOFF_JITTER 0.2

/* A uniformly random number in [0, 1). */
typedef double crpc_backoff_random_cb(void *arg);

typedef struct crpc_backoff {
  int64_t initial_ms;
  int64_t max_ms;
  int64_t min_connect_timeout_ms;
  crpc_backoff_random_cb *random; /* NULL: the default generator */
  void *random_arg;
  uint64_t seed;      /* the default random source's state */
  bool is_fresh;      /* no attempt since the last reset */
  int64_t current_ms; /* the backoff of the latest attempt, unjittered */
  int64_t retry_at;   /* the latest attempt's period ends */
} crpc_backoff;

/* A fresh schedule; |random| NULL uses a generator seeded from the clock. */
void crpc_backoff_init(crpc_backoff *b, int64_t initial_ms, int64_t max_ms,
                       int64_t min_connect_timeout_ms,
                       crpc_backoff_random_cb *random, void *random_arg);

/* An attempt starts at |now_ms|: returns the deadline for connecting. */
int64_t crpc_backoff_begin(crpc_backoff *b, int64_t now_ms);

/* After a failed attempt: no new one before this time. */
int64_t crpc_backoff_retry_at(const crpc_backoff *b);

/* A connection succeeded: the next failure starts the schedule over. */
void crpc_backoff_reset(crpc_backoff *b);

#endif /* CRPC_BACKOFF_H */
