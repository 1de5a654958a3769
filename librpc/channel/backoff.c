/* channel/backoff.c: connection-backoff.md's schedule. */
#include "channel/backoff.h"

#include "base/clock.h"

/* xorshift64*: jitter needs spread, not cryptographic strength. */
static double default_random(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/* Not a pointer to |seed| in random_arg: a backoff may be copied. */
static double draw(crpc_backoff *b) {
  return b->random != NULL ? b->random(b->random_arg)
                           : default_random(&b->seed);
}

void crpc_backoff_init(crpc_backoff *b, int64_t initial_ms, int64_t max_ms,
                       int64_t min_connect_timeout_ms,
                       crpc_backoff_random_cb *random, void *random_arg) {
  b->initial_ms = initial_ms;
  b->max_ms = max_ms;
  b->min_connect_timeout_ms = min_connect_timeout_ms;
  b->seed = (uint64_t)crpc_clock_now_ns() | 1;
  b->random = random;
  b->random_arg = random_arg;
  b->retry_at = 0;
  crpc_backoff_reset(b);
}

int64_t crpc_backoff_begin(crpc_backoff *b, int64_t now_ms) {
  int64_t period;
  if (b->is_fresh) {
    b->current_ms = b->initial_ms;
    period = b->current_ms;
  } else {
    double next = (double)b->current_ms * CRPC_BACKOFF_MULTIPLIER;
    b->current_ms = next < (double)b->max_ms ? (int64_t)next : b->max_ms;
    double spread = (double)b->current_ms * CRPC_BACKOFF_JITTER;
    period = b->current_ms + (int64_t)(spread * (2 * draw(b) - 1));
  }
  b->is_fresh = false;
  b->retry_at = now_ms + period;
  int64_t earliest = now_ms + b->min_connect_timeout_ms;
  return b->retry_at > earliest ? b->retry_at : earliest;
}

int64_t crpc_backoff_retry_at(const crpc_backoff *b) { return b->retry_at; }

void crpc_backoff_reset(crpc_backoff *b) { b->is_fresh = true; }
