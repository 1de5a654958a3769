/*
 * channel/channel.c: a client's channel to one target: its options, its
 * lifetime, and what calls ask of it. Addresses, connections and load
 * balancing live on the channel's loop thread, in channel/lb.c.
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
#include "channel/lb.h"
#include "channel/target.h"
#include "tls/credentials.h"

#define DEFAULT_MAX_RECV_LEN (4 * 1024 * 1024)

struct crpc_channel_opts {
  size_t max_recv_len;
  char *authority;
  bool is_round_robin;
  int64_t min_resolution_interval_ms;
  int64_t backoff_initial_ms;
  int64_t backoff_max_ms;
  int64_t min_connect_timeout_ms;
  crpc_ejection_policy ejection;
  int64_t keepalive_time_ms;
  int64_t keepalive_timeout_ms;
  bool keepalive_without_calls;
  char *service_config; /* JSON, checked when set */
  crpc_channel_credentials *creds; /* a reference; NULL: insecure */
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
  crpc_channel_credentials *creds; /* a reference; NULL: insecure */

  crpc_lb *lb; /* loop thread only */
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
  opts->min_resolution_interval_ms = 30000;
  opts->backoff_initial_ms = 1000;
  opts->backoff_max_ms = 120000;
  opts->min_connect_timeout_ms = 20000;
  opts->ejection = (crpc_ejection_policy){.consecutive_failures = 5,
                                          .base_ms = 30000,
                                          .max_ms = 300000,
                                          .max_percent = 50};
  opts->keepalive_time_ms = CRPC_DURATION_INFINITE;
  opts->keepalive_timeout_ms = 20000;
  *out = opts;
  return CRPC_OK;
}

CRPC_API void crpc_channel_opts_free(crpc_channel_opts *opts) {
  if (opts == NULL)
    return;
  crpc_mem_free(opts->authority);
  crpc_mem_free(opts->service_config);
  crpc_channel_credentials_free(opts->creds);
  crpc_mem_free(opts);
}

CRPC_API void
crpc_channel_opts_set_credentials(crpc_channel_opts *opts,
                                  const crpc_channel_credentials *creds) {
  crpc_channel_credentials *ref = crpc_channel_credentials_ref(creds);
  crpc_channel_credentials_free(opts->creds);
  opts->creds = ref;
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

CRPC_API crpc_code crpc_channel_opts_set_lb_policy(crpc_channel_opts *opts,
                                                   const char *policy) {
  if (strcmp(policy, "round_robin") == 0)
    opts->is_round_robin = true;
  else if (strcmp(policy, "pick_first") == 0)
    opts->is_round_robin = false;
  else
    return CRPC_INVALID_ARGUMENT;
  return CRPC_OK;
}

CRPC_API void crpc_channel_opts_set_min_resolution_interval_ms(
    crpc_channel_opts *opts, int64_t ms) {
  opts->min_resolution_interval_ms = ms < 0 ? 0 : ms;
}

CRPC_API void crpc_channel_opts_set_connect_backoff(crpc_channel_opts *opts,
                                                    int64_t initial_ms,
                                                    int64_t max_ms) {
  opts->backoff_initial_ms = initial_ms > 0 ? initial_ms : 1;
  opts->backoff_max_ms = max_ms > initial_ms ? max_ms : opts->backoff_initial_ms;
}

CRPC_API void
crpc_channel_opts_set_min_connect_timeout_ms(crpc_channel_opts *opts,
                                             int64_t ms) {
  opts->min_connect_timeout_ms = ms > 0 ? ms : 1;
}

CRPC_API void crpc_channel_opts_set_outlier_ejection(crpc_channel_opts *opts,
                                                     int consecutive_failures,
                                                     int64_t base_ms,
                                                     int64_t max_ms,
                                                     int max_percent) {
  crpc_ejection_policy *e = &opts->ejection;
  e->consecutive_failures = consecutive_failures > 0 ? consecutive_failures : 0;
  e->base_ms = base_ms > 0 ? base_ms : 1;
  e->max_ms = max_ms > e->base_ms ? max_ms : e->base_ms;
  e->max_percent = max_percent < 0 ? 0 : max_percent > 100 ? 100 : max_percent;
}

CRPC_API void crpc_channel_opts_set_keepalive(crpc_channel_opts *opts,
                                              int64_t time_ms,
                                              int64_t timeout_ms,
                                              bool permit_without_calls) {
  opts->keepalive_time_ms = time_ms > 0 ? time_ms : 1;
  opts->keepalive_timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
  opts->keepalive_without_calls = permit_without_calls;
}

crpc_code crpc_channel_pick(crpc_channel *ch, crpc_h2_conn **conn,
                            crpc_pick_waiter *w, crpc_status *why) {
  return crpc_lb_pick(ch->lb, conn, w, why);
}

void crpc_channel_cancel_wait(crpc_pick_waiter *w) { crpc_lb_cancel_wait(w); }

void crpc_channel_report(crpc_channel *ch, const crpc_h2_conn *conn,
                         crpc_code code) {
  crpc_lb_report(ch->lb, conn, code);
}

CRPC_API crpc_channel_state crpc_channel_get_state(crpc_channel *ch) {
  return crpc_lb_state(ch->lb);
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
  crpc_h2_settings_init(&ch->settings);
  ch->creds = crpc_channel_credentials_ref(opts != NULL ? opts->creds : NULL);
  if (opts != NULL && opts->service_config != NULL &&
      crpc_service_config_parse(opts->service_config, &ch->config, &why) !=
          CRPC_OK)
    goto fail;
  crpc_retry_throttle_init(&ch->throttle, ch->config);
  crpc_channel_opts defaults;
  if (opts == NULL) {
    crpc_channel_opts *d;
    if (crpc_channel_opts_new(&d) != CRPC_OK)
      goto fail;
    defaults = *d;
    crpc_mem_free(d);
    opts = &defaults;
  }
  ch->settings.keepalive_time_ms = opts->keepalive_time_ms;
  ch->settings.keepalive_timeout_ms = opts->keepalive_timeout_ms;
  ch->settings.keepalive_without_calls = opts->keepalive_without_calls;
  crpc_lb_params params = {
      .loop = ch->loop,
      .target = &ch->target,
      .creds = ch->creds,
      .authority = ch->authority,
      .settings = &ch->settings,
      .stream_ops = &crpc_client_call_h2_ops,
      /* The service config's choice wins over the option. */
      .is_round_robin = ch->config != NULL
                            ? ch->config->is_round_robin || opts->is_round_robin
                            : opts->is_round_robin,
      .min_resolution_interval_ms = opts->min_resolution_interval_ms,
      .backoff_initial_ms = opts->backoff_initial_ms,
      .backoff_max_ms = opts->backoff_max_ms,
      .min_connect_timeout_ms = opts->min_connect_timeout_ms,
      .ejection = opts->ejection,
  };
  if (crpc_lb_new(&ch->lb, &params) != CRPC_OK)
    goto fail;
  atomic_init(&ch->refs, 1);
  pthread_mutex_init(&ch->mu, NULL);
  pthread_cond_init(&ch->cv, NULL);
  *out = ch;
  return CRPC_OK;

fail:
  crpc_channel_credentials_free(ch->creds);
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
  crpc_lb_free(ch->lb);
  crpc_mem_free(ch->authority);
  crpc_service_config_free(ch->config);
  crpc_channel_credentials_free(ch->creds);
  crpc_mem_free(ch);
}

static void on_lb_closed(void *arg) {
  crpc_channel *ch = arg;
  pthread_mutex_lock(&ch->mu);
  ch->is_closed = true;
  pthread_cond_broadcast(&ch->cv);
  pthread_mutex_unlock(&ch->mu);
}

static void on_close_task(void *arg) {
  crpc_channel *ch = arg;
  crpc_lb_close(ch->lb, on_lb_closed, ch);
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
