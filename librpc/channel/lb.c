/*
 * channel/lb.c: subchannels, resolution and load balancing for a channel.
 *
 * A subchannel is one address and its current connection. Picking walks
 * the subchannels: pick_first takes the first with a usable connection in
 * address order, round_robin rotates over the ready ones and keeps every
 * address connected. A connection that fails before it is ready puts its
 * address in backoff (grpc doc/connection-backoff.md) and asks for a new
 * resolution, which is rate-limited. A failed resolution keeps the
 * addresses already known (grpc doc/naming.md).
 */
#include "channel/lb.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "channel/backoff.h"
#include "resolver/resolver.h"
/* Records with a TTL of 0 (or /etc/hosts) are kept this long. */
#define DEFAULT_TTL_MS 30000

typedef struct subchannel {
  crpc_addr addr;
  crpc_h2_conn *conn; /* the connection taking streams, or NULL */
  bool is_ready;
  bool is_present;     /* in the latest resolution */
  int64_t retry_at;    /* no new connection before (backoff) */
  crpc_backoff backoff;
  /* Outlier ejection: UNAVAILABLE attempts in a row, ejections since the
   * last success, and no calls before ejected_until. */
  int failures;
  int ejections;
  int64_t ejected_until;
} subchannel;

struct crpc_lb {
  crpc_lb_params p;
  crpc_h2_settings settings; /* keepalive time may grow (too_many_pings) */
  crpc_target target;
  subchannel *subs;
  size_t sub_count;
  size_t rr_next;
  crpc_h2_conn **conns; /* every live connection, draining ones too */
  size_t conn_count;
  size_t conn_cap;

  crpc_resolver *resolver;
  bool is_resolving;
  bool wants_resolution;
  int64_t resolved_at; /* 0: never */
  int64_t expires_at;
  crpc_status last_error;
  crpc_list waiters;

  bool is_closing;
  void (*closed)(void *arg);
  void *closed_arg;
  atomic_int state;
};

static void set_state(crpc_lb *lb, crpc_channel_state s) {
  atomic_store(&lb->state, (int)s);
}

crpc_channel_state crpc_lb_state(const crpc_lb *lb) {
  return (crpc_channel_state)atomic_load(&lb->state);
}

/* The state the subchannels add up to. */
static void update_state(crpc_lb *lb) {
  if (lb->is_closing) {
    set_state(lb, CRPC_CHANNEL_SHUTDOWN);
    return;
  }
  bool any_connecting = lb->is_resolving;
  for (size_t i = 0; i < lb->sub_count; i++) {
    if (lb->subs[i].conn != NULL && lb->subs[i].is_ready) {
      set_state(lb, CRPC_CHANNEL_READY);
      return;
    }
    any_connecting |= lb->subs[i].conn != NULL;
  }
  /* Without a connection (never made, or ended by the server's GOAWAY)
   * the channel is idle until a call connects again. */
  if (any_connecting)
    set_state(lb, CRPC_CHANNEL_CONNECTING);
  else
    set_state(lb, lb->last_error.code != CRPC_OK ||
                          (lb->resolved_at != 0 && lb->sub_count == 0)
                      ? CRPC_CHANNEL_TRANSIENT_FAILURE
                      : CRPC_CHANNEL_IDLE);
}

static subchannel *sub_of(crpc_lb *lb, const crpc_h2_conn *conn) {
  for (size_t i = 0; i < lb->sub_count; i++)
    if (lb->subs[i].conn == conn)
      return &lb->subs[i];
  return NULL;
}

static void maybe_closed(crpc_lb *lb) {
  if (lb->is_closing && lb->conn_count == 0 && lb->closed != NULL) {
    void (*closed)(void *) = lb->closed;
    lb->closed = NULL;
    closed(lb->closed_arg);
  }
}

/* Connection events. */

static void on_ready(void *owner, crpc_h2_conn *conn) {
  crpc_lb *lb = owner;
  subchannel *s = sub_of(lb, conn);
  if (s != NULL) {
    s->is_ready = true;
    crpc_backoff_reset(&s->backoff);
    lb->last_error.code = CRPC_OK; /* the failure is over */
    lb->last_error.message[0] = '\0';
  }
  update_state(lb);
}

static void on_goaway(void *owner, crpc_h2_conn *conn) {
  crpc_lb *lb = owner;
  subchannel *s = sub_of(lb, conn);
  if (s != NULL) {
    s->conn = NULL; /* it finishes its streams; new ones go elsewhere */
    s->is_ready = false;
  }
  update_state(lb);
}

/* gRFC A8: the server finds our pings too frequent; later connections
 * ping half as often. */
static void on_too_many_pings(void *owner, crpc_h2_conn *conn) {
  crpc_lb *lb = owner;
  int64_t *t = &lb->settings.keepalive_time_ms;
  *t = *t > CRPC_H2_NEVER / 2 ? CRPC_H2_NEVER : *t * 2;
  crpc_log(CRPC_LOG_WARN,
           "%s: server sent too_many_pings; keepalive time now %lld ms",
           crpc_h2_conn_peer(conn), (long long)*t);
}

/* A connection attempt failed: no new one to this address for a while,
 * and the name is looked up again (connection-backoff.md, naming.md). */
static void back_off(crpc_lb *lb, subchannel *s, const char *why) {
  s->retry_at = crpc_backoff_retry_at(&s->backoff);
  lb->wants_resolution = true;
  crpc_status_set(&lb->last_error, CRPC_UNAVAILABLE, "%s", why);
}

static void on_closed(void *owner, crpc_h2_conn *conn, const char *why) {
  crpc_lb *lb = owner;
  subchannel *s = sub_of(lb, conn);
  if (s != NULL) {
    if (!s->is_ready && !lb->is_closing)
      back_off(lb, s, why); /* never got going */
    s->conn = NULL;
    s->is_ready = false;
  }
  for (size_t i = 0; i < lb->conn_count; i++) {
    if (lb->conns[i] == conn) {
      lb->conns[i] = lb->conns[--lb->conn_count];
      break;
    }
  }
  update_state(lb);
  maybe_closed(lb);
}

static const crpc_h2_conn_ops conn_ops = {
    .on_ready = on_ready,
    .on_goaway = on_goaway,
    .on_too_many_pings = on_too_many_pings,
    .on_closed = on_closed,
};

static crpc_code connect_sub(crpc_lb *lb, subchannel *s, crpc_status *why) {
  if (lb->conn_count == lb->conn_cap) {
    size_t cap = lb->conn_cap ? lb->conn_cap * 2 : 4;
    crpc_h2_conn **conns = crpc_mem_realloc(lb->conns, cap * sizeof(*conns));
    if (conns == NULL)
      return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    lb->conns = conns;
    lb->conn_cap = cap;
  }
  crpc_stream *stream; /* the socket, or TLS over it */
  int64_t now = crpc_now_ms();
  int64_t deadline = crpc_backoff_begin(&s->backoff, now);
  crpc_code code = crpc_credentials_connect(lb->p.creds, &s->addr,
                                            lb->p.authority, &stream, why);
  if (code != CRPC_OK) {
    back_off(lb, s, why->message);
    return code;
  }
  /* connection-backoff.md: TCP and TLS together get until the deadline,
   * or the TLS handshake timeout if that is shorter. */
  if (stream->handshake_timeout_ms == 0 ||
      deadline - now < stream->handshake_timeout_ms)
    stream->handshake_timeout_ms = deadline - now;
  crpc_h2_conn *conn;
  code = crpc_h2_conn_connect(&conn, lb->p.loop, stream, &s->addr,
                              &lb->settings, lb->p.stream_ops, &conn_ops, lb);
  if (code != CRPC_OK) {
    crpc_stream_free(stream);
    return crpc_status_set(why, code, "out of memory");
  }
  lb->conns[lb->conn_count++] = conn;
  s->conn = conn;
  s->is_ready = false;
  update_state(lb);
  return CRPC_OK;
}

/* Resolution. */

static bool same_addr(const crpc_addr *a, const crpc_addr *b) {
  return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* Makes the subchannels those of |addrs|: new ones added, gone ones
 * drained (their calls finish; no new ones start there). */
static bool set_addresses(crpc_lb *lb, const crpc_addr *addrs, size_t count) {
  subchannel *subs = crpc_mem_calloc(count ? count : 1, sizeof(*subs));
  if (subs == NULL)
    return false; /* keep what we have */
  for (size_t i = 0; i < lb->sub_count; i++)
    lb->subs[i].is_present = false;
  for (size_t i = 0; i < count; i++) {
    subchannel *old = NULL;
    for (size_t j = 0; j < lb->sub_count && old == NULL; j++)
      if (same_addr(&lb->subs[j].addr, &addrs[i]))
        old = &lb->subs[j];
    if (old != NULL) {
      old->is_present = true;
      subs[i] = *old;
    } else {
      subs[i].addr = addrs[i];
      crpc_backoff_init(&subs[i].backoff, lb->p.backoff_initial_ms,
                        lb->p.backoff_max_ms, lb->p.min_connect_timeout_ms,
                        NULL, NULL);
    }
  }
  for (size_t i = 0; i < lb->sub_count; i++)
    if (!lb->subs[i].is_present && lb->subs[i].conn != NULL)
      crpc_h2_conn_drain(lb->subs[i].conn);
  crpc_mem_free(lb->subs);
  lb->subs = subs;
  lb->sub_count = count;
  lb->rr_next = 0;
  return true;
}

static void wake_waiters(crpc_lb *lb) {
  crpc_list woken;
  crpc_list_init(&woken);
  /* Move them first: a woken call may wait again. */
  while (!crpc_list_is_empty(&lb->waiters)) {
    crpc_list *n = crpc_list_pop_head(&lb->waiters);
    crpc_list_insert_tail(&woken, n);
  }
  crpc_list *n;
  while ((n = crpc_list_pop_head(&woken)) != NULL) {
    crpc_pick_waiter *w = crpc_container_of(n, crpc_pick_waiter, node);
    w->ready(w->arg);
  }
}

static void on_resolved(void *arg, const crpc_resolution *res) {
  crpc_lb *lb = arg;
  lb->is_resolving = false;
  if (res->status.code == CRPC_CANCELLED)
    return; /* closing */
  int64_t now = crpc_now_ms();
  if (res->status.code == CRPC_RESOURCE_EXHAUSTED ||
      (res->status.code == CRPC_OK &&
       !set_addresses(lb, res->addrs, res->count))) {
    /* Out of memory: the answer is lost, not wrong, so the next pick
     * resolves again as if this one had not happened. */
    crpc_status_set(&lb->last_error, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    lb->expires_at = now;
  } else if (res->status.code == CRPC_OK) {
    lb->resolved_at = now;
    int64_t ttl = res->ttl_ms > 0 ? res->ttl_ms : DEFAULT_TTL_MS;
    lb->expires_at = now + ttl;
    lb->last_error.code = CRPC_OK;
    lb->last_error.message[0] = '\0';
  } else {
    lb->resolved_at = now;
    lb->last_error = res->status;
    if (lb->sub_count > 0)
      crpc_log(CRPC_LOG_WARN, "%s; keeping %zu known addresses",
               res->status.message, lb->sub_count);
    else
      crpc_log(CRPC_LOG_WARN, "%s", res->status.message);
    lb->expires_at = now; /* try again after the minimum interval */
  }
  update_state(lb);
  wake_waiters(lb);
}

/* Starts a resolution when one is due and allowed. */
static void maybe_resolve(crpc_lb *lb) {
  if (lb->target.scheme != CRPC_TARGET_DNS || lb->is_resolving ||
      lb->is_closing)
    return;
  int64_t now = crpc_now_ms();
  bool is_due = lb->resolved_at == 0 || now >= lb->expires_at ||
                lb->wants_resolution;
  if (!is_due || (lb->resolved_at != 0 &&
                  now - lb->resolved_at < lb->p.min_resolution_interval_ms))
    return;
  if (lb->resolver == NULL) {
    crpc_status why;
    if (crpc_resolver_new(&lb->resolver, lb->p.loop, lb->target.dns_server,
                          &why) != CRPC_OK) {
      lb->last_error = why;
      if (why.code != CRPC_RESOURCE_EXHAUSTED) { /* else retry next pick */
        lb->resolved_at = now;
        lb->expires_at = now;
      }
      return;
    }
  }
  lb->is_resolving = true;
  lb->wants_resolution = false;
  update_state(lb);
  crpc_resolver_resolve(lb->resolver, lb->target.host, lb->target.port,
                        on_resolved, lb);
}

/* Outlier ejection. */

static bool is_ejected(const subchannel *s, int64_t now) {
  return now < s->ejected_until;
}

/* Ejecting one more keeps within max_percent (at least one allowed) and
 * leaves an address in rotation. */
static bool may_eject(const crpc_lb *lb, int64_t now) {
  size_t ejected = 0;
  for (size_t i = 0; i < lb->sub_count; i++)
    ejected += is_ejected(&lb->subs[i], now);
  size_t allowed = lb->sub_count * (size_t)lb->p.ejection.max_percent / 100;
  return ejected < (allowed > 0 ? allowed : 1) && ejected + 1 < lb->sub_count;
}

void crpc_lb_report(crpc_lb *lb, const crpc_h2_conn *conn, crpc_code code) {
  const crpc_ejection_policy *e = &lb->p.ejection;
  subchannel *s = conn != NULL ? sub_of(lb, conn) : NULL;
  if (s == NULL || !lb->p.is_round_robin || e->consecutive_failures == 0 ||
      code == CRPC_CANCELLED || code == CRPC_DEADLINE_EXCEEDED)
    return; /* the call's own end says nothing of the address */
  if (code != CRPC_UNAVAILABLE) {
    s->failures = 0;
    s->ejections = 0;
    return;
  }
  int64_t now = crpc_now_ms();
  if (++s->failures < e->consecutive_failures || is_ejected(s, now) ||
      !may_eject(lb, now))
    return;
  /* base, doubling per ejection without a success in between, capped. */
  int64_t ms = e->base_ms;
  for (int i = 0; i < s->ejections && ms < e->max_ms; i++)
    ms *= 2;
  ms = ms < e->max_ms ? ms : e->max_ms;
  s->ejections++;
  s->failures = 0;
  s->ejected_until = now + ms;
  char addr[CRPC_ADDR_TEXT_MAX];
  crpc_addr_format(&s->addr, addr);
  crpc_log(CRPC_LOG_WARN,
           "%s: %d calls in a row UNAVAILABLE, ejected for %lld ms", addr,
           e->consecutive_failures, (long long)ms);
}

/* Picking. */

crpc_code crpc_lb_pick(crpc_lb *lb, crpc_h2_conn **out, crpc_pick_waiter *w,
                       crpc_status *why) {
  *out = NULL;
  if (lb->is_closing)
    return crpc_status_set(why, CRPC_CANCELLED, "channel closed");
  maybe_resolve(lb);
  if (lb->sub_count == 0) {
    if (lb->is_resolving) {
      crpc_list_insert_tail(&lb->waiters, &w->node);
      return CRPC_OK;
    }
    if (lb->last_error.code != CRPC_OK)
      return crpc_status_set(why, CRPC_UNAVAILABLE, "%s",
                             lb->last_error.message);
    return crpc_status_set(why, CRPC_UNAVAILABLE, "no address for %s",
                           lb->target.authority);
  }
  int64_t now = crpc_now_ms();
  size_t n = lb->sub_count;
  size_t start = lb->p.is_round_robin ? lb->rr_next : 0;
  subchannel *connecting = NULL, *ejected = NULL;
  for (size_t i = 0; i < n; i++) {
    subchannel *s = &lb->subs[(start + i) % n];
    if (s->conn == NULL || crpc_h2_conn_is_draining(s->conn))
      continue;
    if (s->is_ready && is_ejected(s, now)) {
      if (ejected == NULL)
        ejected = s; /* only if nothing else will do */
      continue;
    }
    if (s->is_ready) {
      if (lb->p.is_round_robin)
        lb->rr_next = (start + i + 1) % n;
      *out = s->conn;
      goto connect_rest;
    }
    if (connecting == NULL)
      connecting = s;
  }
  if (connecting == NULL)
    connecting = ejected;
  if (connecting != NULL) {
    /* nghttp2 holds the stream until the connection is up. */
    *out = connecting->conn;
    goto connect_rest;
  }
  /* Nothing connected: the first address out of backoff that takes a
   * connection (a refused connect fails at once and backs off too). */
  crpc_status last = {CRPC_OK, ""};
  for (size_t i = 0; i < n && *out == NULL; i++) {
    subchannel *s = &lb->subs[(start + i) % n];
    if ((s->conn == NULL || crpc_h2_conn_is_draining(s->conn)) &&
        now >= s->retry_at && connect_sub(lb, s, &last) == CRPC_OK)
      *out = s->conn;
  }
  if (*out == NULL) {
    if (last.code == CRPC_OK)
      last = lb->last_error;
    return crpc_status_set(
        why, CRPC_UNAVAILABLE, "no address of %s is reachable%s%s",
        lb->target.authority, last.code != CRPC_OK ? ": " : "",
        last.message);
  }

connect_rest:
  /* round_robin keeps every address connected, so all can share the load. */
  if (lb->p.is_round_robin)
    for (size_t i = 0; i < n; i++) {
      subchannel *s = &lb->subs[i];
      crpc_status ignored;
      if (s->conn == NULL && now >= s->retry_at)
        connect_sub(lb, s, &ignored);
    }
  return CRPC_OK;
}

void crpc_lb_cancel_wait(crpc_pick_waiter *w) {
  if (w->node.next != NULL && !crpc_list_is_empty(&w->node))
    crpc_list_remove(&w->node);
}

crpc_code crpc_lb_new(crpc_lb **out, const crpc_lb_params *params) {
  crpc_lb *lb = crpc_mem_calloc(1, sizeof(*lb));
  if (lb == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  lb->p = *params;
  lb->settings = *params->settings;
  lb->p.settings = &lb->settings;
  lb->target = *params->target;
  lb->p.target = &lb->target;
  crpc_list_init(&lb->waiters);
  atomic_init(&lb->state, CRPC_CHANNEL_IDLE);
  if (lb->target.scheme != CRPC_TARGET_DNS &&
      !set_addresses(lb, lb->target.addrs, lb->target.addr_count)) {
    crpc_mem_free(lb);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  *out = lb;
  return CRPC_OK;
}

void crpc_lb_close(crpc_lb *lb, void (*closed)(void *), void *arg) {
  lb->is_closing = true;
  lb->closed = closed;
  lb->closed_arg = arg;
  set_state(lb, CRPC_CHANNEL_SHUTDOWN);
  crpc_resolver_free(lb->resolver); /* its callback sees CANCELLED */
  lb->resolver = NULL;
  wake_waiters(lb);
  /* Closing calls back on_closed, which edits the array: copy first. */
  size_t count = lb->conn_count;
  crpc_h2_conn **conns = crpc_mem_malloc(count * sizeof(*conns) + 1);
  if (conns != NULL) {
    if (count > 0)
      memcpy(conns, lb->conns, count * sizeof(*conns));
    for (size_t i = 0; i < count; i++)
      crpc_h2_conn_close(conns[i], "channel closed");
    crpc_mem_free(conns);
  }
  maybe_closed(lb);
}

void crpc_lb_free(crpc_lb *lb) {
  if (lb == NULL)
    return;
  crpc_mem_free(lb->subs);
  crpc_mem_free(lb->conns);
  crpc_mem_free(lb);
}
