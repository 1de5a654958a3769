/*
 * channel/retry.c: backoff and throttling for client retries (gRFC A6).
 */
#include "channel/retry.h"

#include <stdlib.h>

#include "base/clock.h"

const crpc_retry_policy crpc_retry_idempotent_default = {
    .max_attempts = 3,
    .initial_backoff_ms = 100,
    .max_backoff_ms = 1000,
    .backoff_multiplier = 2,
    .retryable_codes = 1u << CRPC_UNAVAILABLE,
};

void crpc_retry_throttle_init(crpc_retry_throttle *t,
                              const crpc_service_config *c) {
  t->is_enabled = c != NULL && c->has_throttling;
  t->max_tokens = t->is_enabled ? c->max_tokens : 0;
  t->tokens = t->max_tokens;
  t->token_ratio = t->is_enabled ? c->token_ratio : 0;
}

bool crpc_retry_throttle_allows(const crpc_retry_throttle *t) {
  return !t->is_enabled || t->tokens > t->max_tokens / 2;
}

void crpc_retry_throttle_record(crpc_retry_throttle *t, bool is_failure) {
  if (!t->is_enabled)
    return;
  double tokens = is_failure ? t->tokens - 1 : t->tokens + t->token_ratio;
  t->tokens = tokens < 0 ? 0 : tokens > t->max_tokens ? t->max_tokens : tokens;
}

/* A small per-thread generator: jitter needs no more. */
static uint64_t next_random(void) {
  static _Thread_local uint64_t state;
  if (state == 0)
    state = (uint64_t)crpc_clock_now_ns() | 1;
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

int64_t crpc_retry_backoff_ms(const crpc_retry_policy *p, int attempts) {
  /* initial x multiplier^(attempts - 1): a loop, since attempts are few
   * (maxAttempts <= 5) and pow() alone would load libm into every process. */
  double cap = (double)p->initial_backoff_ms;
  for (int i = 1; i < attempts && cap < (double)p->max_backoff_ms; i++)
    cap *= p->backoff_multiplier;
  if (cap > (double)p->max_backoff_ms)
    cap = (double)p->max_backoff_ms;
  double unit = (double)(next_random() >> 11) / (double)(1ull << 53);
  return (int64_t)(unit * cap);
}
