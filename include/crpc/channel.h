/*
 * crpc/channel.h: a client's connection to one target.
 *
 * A channel is safe to share between threads. Calls on it are multiplexed as
 * HTTP/2 streams over its connections, which are driven by crpc's own I/O
 * thread; the calling thread only serializes, waits and deserializes.
 */
#ifndef CRPC_CHANNEL_H
#define CRPC_CHANNEL_H

#include <stdbool.h>

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
 * Outlier ejection, for round_robin (beyond gRPC, which has it only with
 * xDS). An address whose last |consecutive_failures| (default 5; 0: never
 * eject) calls failed with UNAVAILABLE gets no calls for |base_ms|
 * (default 30000), then is tried again; each time it is ejected again
 * before a call succeeds there, the time doubles, up to |max_ms| (default
 * 300000). At most |max_percent| (default 50) of the addresses, but always
 * at least one, are ejected at a time, and never the last one left.
 */
CRPC_API void crpc_channel_opts_set_outlier_ejection(crpc_channel_opts *opts,
                                                     int consecutive_failures,
                                                     int64_t base_ms,
                                                     int64_t max_ms,
                                                     int max_percent);

/*
 * A connection attempt (TCP connect and TLS handshake) may take its
 * backoff period, but at least |ms| (default 20000, as
 * connection-backoff.md's MIN_CONNECT_TIMEOUT); a slower one fails and
 * the address goes into backoff.
 */
CRPC_API void
crpc_channel_opts_set_min_connect_timeout_ms(crpc_channel_opts *opts,
                                             int64_t ms);

/*
 * Client keepalive (gRFC A8). After |time_ms| with nothing received on a
 * connection, the channel sends an HTTP/2 PING; if no ACK comes within
 * |timeout_ms| (default 20000) the connection is closed, its calls fail
 * with UNAVAILABLE and the channel reconnects. Pings are sent only while
 * calls are open, unless |permit_without_calls| (default false).
 * |time_ms| defaults to CRPC_DURATION_INFINITE: no pings.
 *
 * Servers limit how often they accept pings (gRPC's default: one per 5
 * minutes); when one answers GOAWAY ENHANCE_YOUR_CALM "too_many_pings",
 * the channel doubles its keepalive time for later connections, as gRPC
 * does.
 */
CRPC_API void crpc_channel_opts_set_keepalive(crpc_channel_opts *opts,
                                              int64_t time_ms,
                                              int64_t timeout_ms,
                                              bool permit_without_calls);

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
