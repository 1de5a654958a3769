/*
 * resolver/resolver.c: c-ares on a crpc loop.
 *
 * c-ares tells us which sockets to watch (sock_state_cb); the loop calls
 * ares_process_fd() when they are ready or when c-ares' next timeout
 * passes. Works with c-ares 1.18, Debian 12's floor.
 */
#include "resolver/resolver.h"

#include <ares.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"

/* A lookup gives up after two tries of 1 s per server. */
#define QUERY_TIMEOUT_MS 1000
#define QUERY_TRIES 2
#define MAX_SOCKETS 16

typedef struct watched {
  ares_socket_t fd;
  crpc_io io;
  struct crpc_resolver *r;
} watched;

struct crpc_resolver {
  crpc_loop *loop;
  ares_channel channel;
  watched sockets[MAX_SOCKETS]; /* in use while .r is set */
  crpc_timer timer;
  int pending;      /* lookups in flight */
  int depth;        /* inside c-ares, where it must not be destroyed */
  bool is_freeing;  /* freed from a callback: finish on the way out */
};

static void destroy(crpc_resolver *r);

/* Every call into c-ares goes through here, so that a callback may free
 * the resolver: c-ares forbids ares_destroy() inside its callbacks. */
static void enter(crpc_resolver *r) { r->depth++; }

static bool leave(crpc_resolver *r) {
  if (--r->depth == 0 && r->is_freeing) {
    destroy(r);
    return false;
  }
  return true;
}

typedef struct lookup {
  crpc_resolver *r;
  crpc_resolve_cb *done;
  void *user_data;
  char host[256];
} lookup;

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status;

static void init_library(void) {
  library_status = ares_library_init(ARES_LIB_INIT_ALL);
}

static void rearm_timer(crpc_resolver *r) {
  struct timeval tv, *next;
  if (r->pending == 0) {
    crpc_timer_stop(&r->timer);
    return;
  }
  next = ares_timeout(r->channel, NULL, &tv);
  int64_t ms = next != NULL ? (int64_t)next->tv_sec * 1000 +
                                  (next->tv_usec + 999) / 1000
                            : QUERY_TIMEOUT_MS;
  crpc_timer_start_at(&r->timer, crpc_now_ms() + ms);
}

static void on_timer(void *arg) {
  crpc_resolver *r = arg;
  enter(r);
  ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  if (leave(r))
    rearm_timer(r);
}

static void on_socket(void *arg, bool readable, bool writable) {
  watched *w = arg;
  crpc_resolver *r = w->r;
  enter(r);
  ares_process_fd(r->channel, readable ? w->fd : ARES_SOCKET_BAD,
                  writable ? w->fd : ARES_SOCKET_BAD);
  if (leave(r))
    rearm_timer(r);
}

static void on_sock_state(void *data, ares_socket_t fd, int readable,
                          int writable) {
  crpc_resolver *r = data;
  watched *slot = NULL, *free_slot = NULL;
  for (size_t i = 0; i < MAX_SOCKETS; i++) {
    if (r->sockets[i].r != NULL && r->sockets[i].fd == fd)
      slot = &r->sockets[i];
    else if (r->sockets[i].r == NULL && free_slot == NULL)
      free_slot = &r->sockets[i];
  }
  if (slot == NULL) {
    if ((!readable && !writable) || free_slot == NULL)
      return; /* past MAX_SOCKETS, c-ares' own timeouts fail the query */
    slot = free_slot;
    slot->fd = fd;
    slot->r = r;
    crpc_io_init(&slot->io, r->loop, fd, on_socket, slot);
  }
  crpc_io_want(&slot->io, readable, writable);
  if (!readable && !writable)
    slot->r = NULL; /* c-ares closes it */
}

crpc_code crpc_resolver_new(crpc_resolver **out, crpc_loop *loop,
                            const char *dns_server, crpc_status *why) {
  pthread_once(&library_once, init_library);
  if (library_status != ARES_SUCCESS)
    return crpc_status_set(why, CRPC_INTERNAL, "c-ares: %s",
                           ares_strerror(library_status));
  crpc_resolver *r = crpc_mem_calloc(1, sizeof(*r));
  if (r == NULL)
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  r->loop = loop;
  struct ares_options opts = {0};
  opts.sock_state_cb = on_sock_state;
  opts.sock_state_cb_data = r;
  opts.timeout = QUERY_TIMEOUT_MS;
  opts.tries = QUERY_TRIES;
  /* Service names are looked up as given: search domains would multiply
   * the queries (and the time a dead server costs) by their number. */
  opts.flags = ARES_FLAG_NOSEARCH;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
             ARES_OPT_FLAGS;
  int rc = ares_init_options(&r->channel, &opts, mask);
  if (rc != ARES_SUCCESS) {
    crpc_mem_free(r);
    return crpc_status_set(why, CRPC_INTERNAL, "c-ares: %s",
                           ares_strerror(rc));
  }
  if (dns_server != NULL && *dns_server != '\0' &&
      (rc = ares_set_servers_ports_csv(r->channel, dns_server)) !=
          ARES_SUCCESS) {
    ares_destroy(r->channel);
    crpc_mem_free(r);
    return crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                           "bad DNS server \"%s\": %s", dns_server,
                           ares_strerror(rc));
  }
  crpc_timer_init(&r->timer, loop, on_timer, r);
  *out = r;
  return CRPC_OK;
}

static void on_addrinfo(void *arg, int status, int timeouts,
                        struct ares_addrinfo *res) {
  lookup *l = arg;
  crpc_resolver *r = l->r;
  crpc_resolution result;
  memset(&result, 0, sizeof(result));
  result.ttl_ms = INT64_MAX;
  if (status == ARES_SUCCESS) {
    for (struct ares_addrinfo_node *n = res->nodes;
         n != NULL && result.count < CRPC_RESOLVER_MAX_ADDRS; n = n->ai_next) {
      if ((size_t)n->ai_addrlen > sizeof(result.addrs[0].ss))
        continue;
      crpc_addr *a = &result.addrs[result.count++];
      memcpy(&a->ss, n->ai_addr, (size_t)n->ai_addrlen);
      a->len = (socklen_t)n->ai_addrlen;
      if ((int64_t)n->ai_ttl * 1000 < result.ttl_ms)
        result.ttl_ms = (int64_t)n->ai_ttl * 1000;
    }
    if (result.count == 0)
      status = ARES_ENODATA;
  }
  if (status != ARES_SUCCESS)
    crpc_status_set(&result.status,
                    status == ARES_EDESTRUCTION || status == ARES_ECANCELLED
                        ? CRPC_CANCELLED
                        : CRPC_UNAVAILABLE,
                    "DNS resolution failed for %s: %s", l->host,
                    ares_strerror(status));
  if (res != NULL)
    ares_freeaddrinfo(res);
  r->pending--;
  l->done(l->user_data, &result);
  crpc_mem_free(l);
}

void crpc_resolver_resolve(crpc_resolver *r, const char *host, const char *port,
                           crpc_resolve_cb *done, void *user_data) {
  lookup *l = crpc_mem_calloc(1, sizeof(*l));
  if (l == NULL) {
    crpc_resolution result = {.count = 0};
    crpc_status_set(&result.status, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    done(user_data, &result);
    return;
  }
  l->r = r;
  l->done = done;
  l->user_data = user_data;
  snprintf(l->host, sizeof(l->host), "%s", host);
  struct ares_addrinfo_hints hints = {0};
  hints.ai_family = AF_UNSPEC; /* A and AAAA */
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = ARES_AI_NUMERICSERV;
  r->pending++;
  enter(r);
  ares_getaddrinfo(r->channel, host, port, &hints, on_addrinfo, l);
  if (leave(r))
    rearm_timer(r);
}

void crpc_resolver_free(crpc_resolver *r) {
  if (r == NULL)
    return;
  if (r->depth > 0) {
    r->is_freeing = true;
    return;
  }
  r->depth++; /* callbacks run below must not free again */
  destroy(r);
}

static void destroy(crpc_resolver *r) {
  /* Runs every pending callback with ARES_EDESTRUCTION. */
  r->is_freeing = true;
  r->depth = 1;
  ares_destroy(r->channel);
  for (size_t i = 0; i < MAX_SOCKETS; i++)
    if (r->sockets[i].r != NULL)
      crpc_io_want(&r->sockets[i].io, false, false);
  crpc_timer_stop(&r->timer);
  crpc_mem_free(r);
}
