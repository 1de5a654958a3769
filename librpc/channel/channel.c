/*
 * channel/channel.c: a client's connections to one target.
 *
 * Connection state lives on the channel's loop thread. Calls ask for a
 * connection when they start (crpc_channel_pick): the current one if it
 * still takes streams, else a new one to the next address. A connection
 * that got GOAWAY stops taking streams and finishes the ones it has.
 */
#include "channel/channel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "call/client_call.h"
#include "channel/retry.h"
#include "channel/service_config.h"
#include "channel/target.h"

#define DEFAULT_MAX_RECV_LEN (4 * 1024 * 1024)

struct crpc_channel_opts {
  size_t max_recv_len;
  char *authority;
  char *service_config; /* JSON, checked when set */
};

struct crpc_channel {
  atomic_int refs;
  crpc_service_config *config; /* NULL if none */
  crpc_retry_throttle throttle; /* loop thread only */
  crpc_loop *loop;
  crpc_target target;
  char *authority;
  size_t max_recv_len;
  crpc_h2_settings settings;

  /* Loop thread only. */
  crpc_h2_conn *current; /* takes new streams, NULL if none */
  crpc_h2_conn **conns;  /* every live connection, draining ones too */
  size_t conn_count;
  size_t conn_cap;
  size_t next_addr;
  bool is_closing;
  crpc_task close_task;

  pthread_mutex_t mu; /* for crpc_channel_free's wait */
  pthread_cond_t cv;
  bool is_closed;
};

CRPC_API crpc_code crpc_channel_opts_new(crpc_channel_opts **out) {
  crpc_channel_opts *opts = crpc_mem_calloc(1, sizeof(*opts));
  if (opts == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  opts->max_recv_len = DEFAULT_MAX_RECV_LEN;
  *out = opts;
  return CRPC_OK;
}

CRPC_API void crpc_channel_opts_free(crpc_channel_opts *opts) {
  if (opts == NULL)
    return;
  crpc_mem_free(opts->authority);
  crpc_mem_free(opts->service_config);
  crpc_mem_free(opts);
}

CRPC_API void crpc_channel_opts_set_max_recv_len(crpc_channel_opts *opts,
                                                 size_t len) {
  opts->max_recv_len = len;
}

CRPC_API crpc_code crpc_channel_opts_set_authority(crpc_channel_opts *opts,
                                                   const char *authority) {
  char *copy = crpc_mem_strdup(authority);
  if (copy == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  crpc_mem_free(opts->authority);
  opts->authority = copy;
  return CRPC_OK;
}

CRPC_API crpc_code crpc_channel_opts_set_service_config(
    crpc_channel_opts *opts, const char *json, crpc_status *why) {
  crpc_service_config *config;
  crpc_code code = crpc_service_config_parse(json, &config, why);
  if (code != CRPC_OK)
    return code;
  crpc_service_config_free(config);
  char *copy = crpc_mem_strdup(json);
  if (copy == NULL)
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  crpc_mem_free(opts->service_config);
  opts->service_config = copy;
  return CRPC_OK;
}

/* Connection events. */

static void forget(crpc_channel *ch, crpc_h2_conn *conn) {
  if (ch->current == conn)
    ch->current = NULL;
}

static void on_goaway(void *owner, crpc_h2_conn *conn) {
  forget(owner, conn);
}

static void on_closed(void *owner, crpc_h2_conn *conn, const char *why) {
  crpc_channel *ch = owner;
  forget(ch, conn);
  for (size_t i = 0; i < ch->conn_count; i++) {
    if (ch->conns[i] == conn) {
      ch->conns[i] = ch->conns[--ch->conn_count];
      break;
    }
  }
  if (ch->is_closing && ch->conn_count == 0) {
    pthread_mutex_lock(&ch->mu);
    ch->is_closed = true;
    pthread_cond_broadcast(&ch->cv);
    pthread_mutex_unlock(&ch->mu);
  }
}

static const crpc_h2_conn_ops conn_ops = {
    .on_goaway = on_goaway,
    .on_closed = on_closed,
};

crpc_code crpc_channel_pick(crpc_channel *ch, crpc_h2_conn **out,
                            crpc_status *why) {
  if (ch->is_closing)
    return crpc_status_set(why, CRPC_CANCELLED, "channel closed");
  if (ch->current != NULL && !crpc_h2_conn_is_draining(ch->current)) {
    *out = ch->current;
    return CRPC_OK;
  }
  if (ch->conn_count == ch->conn_cap) {
    size_t cap = ch->conn_cap ? ch->conn_cap * 2 : 4;
    crpc_h2_conn **conns = crpc_mem_realloc(ch->conns, cap * sizeof(*conns));
    if (conns == NULL)
      return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    ch->conns = conns;
    ch->conn_cap = cap;
  }
  /* Each new connection tries the next address, so one dead address does
   * not hold the channel. */
  const crpc_addr *addr =
      &ch->target.addrs[ch->next_addr++ % ch->target.addr_count];
  crpc_h2_conn *conn;
  crpc_code code =
      crpc_h2_conn_connect(&conn, ch->loop, addr, &ch->settings,
                           &crpc_client_call_h2_ops, &conn_ops, ch);
  if (code != CRPC_OK) {
    char text[CRPC_ADDR_TEXT_MAX];
    crpc_addr_format(addr, text);
    return crpc_status_set(why, code == CRPC_UNAVAILABLE ? code : code,
                           "cannot connect to %s", text);
  }
  ch->conns[ch->conn_count++] = conn;
  ch->current = conn;
  *out = conn;
  return CRPC_OK;
}

CRPC_API crpc_code crpc_channel_new(crpc_channel **out, const char *target,
                                    const crpc_channel_opts *opts) {
  crpc_status why;
  crpc_channel *ch = crpc_mem_calloc(1, sizeof(*ch));
  if (ch == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  crpc_code code = crpc_target_parse(target, &ch->target, &why);
  if (code != CRPC_OK) {
    crpc_log(CRPC_LOG_WARN, "%s", why.message);
    goto fail;
  }
  if (ch->target.scheme == CRPC_TARGET_DNS) {
    /* Until the c-ares resolver lands, names resolve once, here. */
    char hostport[300];
    snprintf(hostport, sizeof(hostport), "%s", ch->target.authority);
    ch->target.addr_count =
        crpc_addr_resolve(hostport, NULL, ch->target.addrs,
                          CRPC_TARGET_MAX_ADDRS, false, &why);
    if (ch->target.addr_count == 0) {
      crpc_log(CRPC_LOG_WARN, "%s", why.message);
      code = why.code == CRPC_INVALID_ARGUMENT ? why.code : CRPC_UNAVAILABLE;
      goto fail;
    }
  }
  code = CRPC_RESOURCE_EXHAUSTED;
  ch->loop = crpc_loop_shared();
  if (ch->loop == NULL)
    goto fail;
  ch->authority = crpc_mem_strdup(opts != NULL && opts->authority != NULL
                                      ? opts->authority
                                      : ch->target.authority);
  if (ch->authority == NULL)
    goto fail;
  ch->max_recv_len =
      opts != NULL && opts->max_recv_len ? opts->max_recv_len
                                         : DEFAULT_MAX_RECV_LEN;
  ch->settings.stream_window = 1024 * 1024;
  ch->settings.conn_window = 16 * 1024 * 1024;
  if (opts != NULL && opts->service_config != NULL &&
      crpc_service_config_parse(opts->service_config, &ch->config, &why) !=
          CRPC_OK)
    goto fail;
  crpc_retry_throttle_init(&ch->throttle, ch->config);
  atomic_init(&ch->refs, 1);
  pthread_mutex_init(&ch->mu, NULL);
  pthread_cond_init(&ch->cv, NULL);
  *out = ch;
  return CRPC_OK;

fail:
  crpc_mem_free(ch->authority);
  crpc_mem_free(ch);
  return code;
}

void crpc_channel_ref(crpc_channel *ch) {
  atomic_fetch_add_explicit(&ch->refs, 1, memory_order_relaxed);
}

void crpc_channel_unref(crpc_channel *ch) {
  if (atomic_fetch_sub_explicit(&ch->refs, 1, memory_order_acq_rel) != 1)
    return;
  pthread_mutex_destroy(&ch->mu);
  pthread_cond_destroy(&ch->cv);
  crpc_mem_free(ch->conns);
  crpc_mem_free(ch->authority);
  crpc_service_config_free(ch->config);
  crpc_mem_free(ch);
}

static void on_close_task(void *arg) {
  crpc_channel *ch = arg;
  ch->is_closing = true;
  ch->current = NULL;
  if (ch->conn_count == 0) {
    pthread_mutex_lock(&ch->mu);
    ch->is_closed = true;
    pthread_cond_broadcast(&ch->cv);
    pthread_mutex_unlock(&ch->mu);
    return;
  }
  for (size_t i = 0; i < ch->conn_count; i++)
    crpc_h2_conn_close(ch->conns[i], "channel closed");
}

CRPC_API void crpc_channel_free(crpc_channel *ch) {
  if (ch == NULL)
    return;
  /* Connections call back into the channel until they are gone: close
   * them on the loop and wait. */
  crpc_task_init(&ch->close_task, on_close_task, ch);
  crpc_loop_post(ch->loop, &ch->close_task);
  pthread_mutex_lock(&ch->mu);
  while (!ch->is_closed)
    pthread_cond_wait(&ch->cv, &ch->mu);
  pthread_mutex_unlock(&ch->mu);
  crpc_channel_unref(ch);
}

crpc_loop *crpc_channel_loop(const crpc_channel *ch) { return ch->loop; }

const char *crpc_channel_authority(const crpc_channel *ch) {
  return ch->authority;
}

size_t crpc_channel_max_recv_len(const crpc_channel *ch) {
  return ch->max_recv_len;
}

const crpc_method_config *crpc_channel_method_config(const crpc_channel *ch,
                                                     const char *path) {
  return crpc_service_config_find(ch->config, path);
}

crpc_retry_throttle *crpc_channel_throttle(crpc_channel *ch) {
  return &ch->throttle;
}
