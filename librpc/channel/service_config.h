/*
 * channel/service_config.h: gRPC service config (grpc doc/service_config.md,
 * gRFC A6), the JSON a channel is given for timeouts, wait-for-ready,
 * retries, retry throttling and the load-balancing policy.
 */
#ifndef CRPC_SERVICE_CONFIG_H
#define CRPC_SERVICE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "crpc/common.h"

/* gRFC A6: attempts above 5 are treated as 5. */
#define CRPC_RETRY_MAX_ATTEMPTS 5

typedef struct crpc_retry_policy {
  int max_attempts;
  int64_t initial_backoff_ms;
  int64_t max_backoff_ms;
  double backoff_multiplier;
  uint32_t retryable_codes; /* bit (1 << code) per retryable crpc_code */
} crpc_retry_policy;

typedef struct crpc_method_config {
  char *service; /* NULL: every service */
  char *method;  /* NULL: every method of |service| */
  int64_t timeout_ms; /* < 0: none */
  int wait_for_ready; /* -1 unset, 0, 1 */
  bool has_retry_policy;
  crpc_retry_policy retry;
} crpc_method_config;

typedef struct crpc_service_config {
  crpc_method_config *methods;
  size_t method_count;
  bool has_throttling;
  double max_tokens;
  double token_ratio;
  bool is_round_robin; /* loadBalancingConfig / loadBalancingPolicy */
} crpc_service_config;

/*
 * Parses |json|. INVALID_ARGUMENT with |why| naming the offending field
 * for anything gRPC would reject (bad JSON, bad durations, maxAttempts
 * under 2, empty retryableStatusCodes, unknown status names...).
 */
crpc_code crpc_service_config_parse(const char *json,
                                    crpc_service_config **out,
                                    crpc_status *why);
void crpc_service_config_free(crpc_service_config *config);

/*
 * The config for |path| ("/pkg.Svc/Method"): an exact service and method
 * match, else the service's default, else the config-wide default
 * (an empty name), else NULL. |config| may be NULL.
 */
const crpc_method_config *
crpc_service_config_find(const crpc_service_config *config, const char *path);

/* protobuf JSON Duration ("1.5s", "0.000340s"), to milliseconds, rounding
 * up. False for anything else. */
bool crpc_service_config_parse_duration(const char *text, int64_t *ms);

#endif /* CRPC_SERVICE_CONFIG_H */
