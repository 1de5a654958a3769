/*
 * resolver/resolver.h: asynchronous DNS lookups (A and AAAA, /etc/hosts
 * first) driven by a crpc loop. The only code that includes <ares.h>.
 *
 * One resolver per channel: it owns a c-ares channel whose sockets and
 * timeouts are watched by the loop (sock_state_cb + ares_process_fd, as
 * nghttp2's shrpx_dns_resolver.cc does). Loop thread only.
 */
#ifndef CRPC_RESOLVER_H
#define CRPC_RESOLVER_H

#include "transport/addr.h"
#include "transport/loop.h"

typedef struct crpc_resolver crpc_resolver;

#define CRPC_RESOLVER_MAX_ADDRS 16

/*
 * The answer to one lookup: addresses (at most CRPC_RESOLVER_MAX_ADDRS)
 * and the smallest TTL among them, or |status| UNAVAILABLE with a message
 * naming the host and the c-ares error. Valid during the callback.
 */
typedef struct crpc_resolution {
  crpc_status status;
  crpc_addr addrs[CRPC_RESOLVER_MAX_ADDRS];
  size_t count;
  int64_t ttl_ms;
} crpc_resolution;

typedef void crpc_resolve_cb(void *user_data, const crpc_resolution *result);

/*
 * A resolver asking |dns_server| ("host:port", "[v6]:port" or "" for the
 * system's servers). INVALID_ARGUMENT for a bad server address.
 */
crpc_code crpc_resolver_new(crpc_resolver **out, crpc_loop *loop,
                            const char *dns_server, crpc_status *why);

/*
 * Looks up |host| with |port| for the addresses. |done| runs exactly once,
 * on the loop, possibly before this returns (for /etc/hosts or numeric
 * hosts) — or with CANCELLED when the resolver is freed first.
 */
void crpc_resolver_resolve(crpc_resolver *r, const char *host, const char *port,
                           crpc_resolve_cb *done, void *user_data);

/* Cancels lookups in flight (their callbacks run) and frees. */
void crpc_resolver_free(crpc_resolver *r);

#endif /* CRPC_RESOLVER_H */
