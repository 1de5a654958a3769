/*
 * crpc/channel.h: a client's connection to one target.
 *
 * A channel is safe to share between threads. Calls on it are multiplexed as
 * HTTP/2 streams over its connections, which are driven by crpc's own I/O
 * thread; the calling thread only serializes, waits and deserializes.
 */
#ifndef CRPC_CHANNEL_H
#define CRPC_CHANNEL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct crpc_channel crpc_channel;
typedef struct crpc_channel_opts crpc_channel_opts;

/* Connectivity states (grpc doc/connectivity-semantics-and-api.md). */
typedef enum crpc_channel_state {
  CRPC_CHANNEL_IDLE = 0,
  CRPC_CHANNEL_CONNECTING = 1,
  CRPC_CHANNEL_READY = 2,
  CRPC_CHANNEL_TRANSIENT_FAILURE = 3,
  CRPC_CHANNEL_SHUTDOWN = 4
} crpc_channel_state;

/* Options with their defaults. RESOURCE_EXHAUSTED when out of memory. */
CRPC_API crpc_code crpc_channel_opts_new(crpc_channel_opts **out);
CRPC_API void crpc_channel_opts_free(crpc_channel_opts *opts);

/* Largest message a call accepts from the server (default 4 MiB). */
CRPC_API void crpc_channel_opts_set_max_recv_len(crpc_channel_opts *opts,
                                                 size_t len);

/* Overrides the :authority header (default: the target's host:port). */
CRPC_API crpc_code crpc_channel_opts_set_authority(crpc_channel_opts *opts,
                                                   const char *authority);

/*
 * Load balancing over the addresses a target resolves to: "pick_first"
 * (the default: one connection, the first address that works) or
 * "round_robin" (a connection to every address, calls spread over the
 * ready ones). A service config's loadBalancingConfig overrides it.
 * INVALID_ARGUMENT for other names.
 */
CRPC_API crpc_code crpc_channel_opts_set_lb_policy(crpc_channel_opts *opts,
                                                   const char *policy);

/*
 * DNS targets are resolved again when a connection fails or the records'
 * TTL passes, but never sooner than this after the last resolution
 * (default 30000 ms, as gRPC).
 */
CRPC_API void crpc_channel_opts_set_min_resolution_interval_ms(
    crpc_channel_opts *opts, int64_t ms);

/*
 * Connection backoff (grpc doc/connection-backoff.md): after a failed
 * connection attempt an address is not tried again for a delay that starts
 * at |initial_ms| (default 1000) and grows x1.6 with +-20% jitter up to
 * |max_ms| (default 120000).
 */
CRPC_API void crpc_channel_opts_set_connect_backoff(crpc_channel_opts *opts,
                                                    int64_t initial_ms,
                                                    int64_t max_ms);

/*
 * Sets the channel's service config, gRPC's JSON (grpc doc/
 * service_config.md): per-method `timeout`, `waitForReady` and
 * `retryPolicy` (gRFC A6: maxAttempts, initialBackoff, maxBackoff,
 * backoffMultiplier, retryableStatusCodes), `retryThrottling` (maxTokens,
 * tokenRatio) and `loadBalancingConfig`. INVALID_ARGUMENT, with |why|
 * naming the field, for config gRPC would reject; nothing changes then.
 *
 * Methods marked `option idempotency_level = IDEMPOTENT` (or
 * NO_SIDE_EFFECTS) that the config does not cover are retried on
 * UNAVAILABLE: 3 attempts, backoff 100 ms doubling to 1 s. No other method
 * is ever retried unless configured.
 */
CRPC_API crpc_code crpc_channel_opts_set_service_config(
    crpc_channel_opts *opts, const char *json, crpc_status *why);

/*
 * Connects to |target| (grpc doc/naming.md): "host:port", "ipv4:a.b.c.d:port",
 * "ipv6:[addr]:port", "unix:path" or "unix:///abs/path". Connecting is lazy:
 * the first call connects. |opts| may be NULL and is copied.
 *
 * Returns INVALID_ARGUMENT for a target that does not parse, and
 * RESOURCE_EXHAUSTED when out of memory; *out is untouched on failure.
 */
CRPC_API crpc_code crpc_channel_new(crpc_channel **out, const char *target,
                                    const crpc_channel_opts *opts);

/* The channel's connectivity state now. Any thread. */
CRPC_API crpc_channel_state crpc_channel_get_state(crpc_channel *channel);

/*
 * Closes the channel. Calls still running on it fail with CANCELLED; no
 * call may be started on it afterwards. NULL is a no-op.
 */
CRPC_API void crpc_channel_free(crpc_channel *channel);

#ifdef __cplusplus
}
#endif

#endif /* CRPC_CHANNEL_H */
