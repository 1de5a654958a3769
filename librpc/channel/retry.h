/*
 * channel/retry.h: the decisions of gRFC A6 client retries that do not
 * depend on a call: backoff, throttling, and the default policy crpc gives
 * idempotent methods.
 */
#ifndef CRPC_RETRY_H
#define CRPC_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "channel/service_config.h"

/*
 * Beyond gRPC: methods declared `idempotency_level = IDEMPOTENT` or
 * `NO_SIDE_EFFECTS` are retried on UNAVAILABLE with this policy when the
 * channel's service config says nothing about them: 3 attempts, backoff
 * 100 ms x2 up to 1 s.
 */
extern const crpc_retry_policy crpc_retry_idempotent_default;

/* Per-target retry throttling (gRFC A6 "Throttling Retry Attempts"). */
typedef struct crpc_retry_throttle {
  bool is_enabled;
  double tokens;
  double max_tokens;
  double token_ratio;
} crpc_retry_throttle;

void crpc_retry_throttle_init(crpc_retry_throttle *t,
                              const crpc_service_config *config);
/* Retries are allowed while more than half the tokens are left. */
bool crpc_retry_throttle_allows(const crpc_retry_throttle *t);
/* A failed attempt (retryable code or pushback) costs a token; an OK one
 * earns token_ratio back. */
void crpc_retry_throttle_record(crpc_retry_throttle *t, bool is_failure);

/*
 * The randomized delay before the next attempt after |attempts| (>= 1):
 * uniform in [0, min(initial * multiplier^(attempts-1), max)].
 */
int64_t crpc_retry_backoff_ms(const crpc_retry_policy *p, int attempts);

#endif /* CRPC_RETRY_H */
