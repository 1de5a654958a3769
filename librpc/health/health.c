/*
 * health/health.c: grpc.health.v1.Health (grpc/grpc doc/health-checking.md)
 * on the public server API, like a user's service.
 *
 * One mutex guards the statuses and the list of Watch calls. Each Watch
 * keeps a small queue of the statuses it still has to send, filled by
 * crpc_health_set(), so that it streams every change even while it is
 * blocked writing the previous one. Watch handlers wait on a condition
 * variable in short timed waits, and look at crpc_server_call_is_cancelled()
 * in between: nothing wakes them when the client goes away.
 */
#include "crpc/health.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "grpc/health/v1/health.crpc.h"
#include "grpc/health/v1/health.pb-c.h"

/* How often a waiting Watch looks whether its call was cancelled. */
#define WATCH_POLL_MS 100

/* Statuses a Watch may have unsent; more changes overwrite the newest. */
#define WATCH_QUEUE_LEN 16

typedef struct health_entry {
  char *service;
  crpc_health_status status;
} health_entry;

/* One Watch call, on its handler's stack while it runs. */
typedef struct watcher {
  struct watcher *next;
  const char *service;
  crpc_health_status queue[WATCH_QUEUE_LEN];
  size_t queue_count;
  int last; /* the newest status queued, -1 before the first */
} watcher;

struct crpc_health {
  pthread_mutex_t mu;
  pthread_cond_t changed; /* on CLOCK_MONOTONIC */
  health_entry *entries;
  size_t entry_count, entry_cap;
  watcher *watchers;
  bool is_shut_down;
};

static health_entry *find_locked(crpc_health *h, const char *service) {
  for (size_t i = 0; i < h->entry_count; i++)
    if (strcmp(h->entries[i].service, service) == 0)
      return &h->entries[i];
  return NULL;
}

/* Queues |status| for |w| if it differs from what |w| last got. */
static void push_locked(watcher *w, crpc_health_status status) {
  if ((int)status == w->last)
    return;
  if (w->queue_count == WATCH_QUEUE_LEN)
    w->queue[WATCH_QUEUE_LEN - 1] = status; /* the client is slow: coalesce */
  else
    w->queue[w->queue_count++] = status;
  w->last = (int)status;
}

static void notify_locked(crpc_health *h, const char *service,
                          crpc_health_status status) {
  for (watcher *w = h->watchers; w != NULL; w = w->next)
    if (strcmp(w->service, service) == 0)
      push_locked(w, status);
  pthread_cond_broadcast(&h->changed);
}

static crpc_code check(crpc_server_call *call,
                       const Grpc__Health__V1__HealthCheckRequest *request,
                       Grpc__Health__V1__HealthCheckResponse *reply,
                       void *user_data) {
  crpc_health *h = user_data;
  const char *service = request->service != NULL ? request->service : "";
  health_entry *e;

  pthread_mutex_lock(&h->mu);
  e = find_locked(h, service);
  if (e != NULL)
    reply->status =
        (Grpc__Health__V1__HealthCheckResponse__ServingStatus)e->status;
  pthread_mutex_unlock(&h->mu);
  if (e == NULL) /* health-checking.md: unknown service is NOT_FOUND */
    return crpc_server_call_fail(call, CRPC_NOT_FOUND, "unknown service '%s'",
                                 service);
  return CRPC_OK;
}

static void deadline_in(struct timespec *ts, int64_t ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

static void unlink_locked(crpc_health *h, watcher *w) {
  for (watcher **p = &h->watchers; *p != NULL; p = &(*p)->next) {
    if (*p == w) {
      *p = w->next;
      return;
    }
  }
}

static crpc_code watch(crpc_server_call *call,
                       const Grpc__Health__V1__HealthCheckRequest *request,
                       void *user_data) {
  crpc_health *h = user_data;
  watcher w = {.service = request->service != NULL ? request->service : "",
               .last = -1};
  crpc_health_status batch[WATCH_QUEUE_LEN];
  size_t batch_count;
  health_entry *e;
  bool is_last;
  crpc_code code = CRPC_OK;

  pthread_mutex_lock(&h->mu);
  /* health-checking.md: the current status at once; SERVICE_UNKNOWN for a
   * name not set yet, and the call stays open in case it gets one. */
  e = find_locked(h, w.service);
  push_locked(&w, e != NULL ? e->status : CRPC_HEALTH_SERVICE_UNKNOWN);
  w.next = h->watchers;
  h->watchers = &w;
  for (;;) {
    while (w.queue_count == 0 && !h->is_shut_down &&
           !crpc_server_call_is_cancelled(call)) {
      struct timespec until;
      deadline_in(&until, WATCH_POLL_MS);
      pthread_cond_timedwait(&h->changed, &h->mu, &until);
    }
    if (w.queue_count == 0 && !h->is_shut_down) {
      code = CRPC_CANCELLED;
      break;
    }
    batch_count = w.queue_count;
    memcpy(batch, w.queue, batch_count * sizeof(batch[0]));
    w.queue_count = 0;
    /* Once shut down, the hook queued the last change (NOT_SERVING). */
    is_last = h->is_shut_down;
    /* Written unlocked: a write waits while the client's window is shut. */
    pthread_mutex_unlock(&h->mu);
    for (size_t i = 0; i < batch_count && code == CRPC_OK; i++) {
      Grpc__Health__V1__HealthCheckResponse reply =
          GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
      reply.status =
          (Grpc__Health__V1__HealthCheckResponse__ServingStatus)batch[i];
      code = grpc__health__v1__health__watch__write(call, &reply);
    }
    pthread_mutex_lock(&h->mu);
    if (code != CRPC_OK || (is_last && w.queue_count == 0))
      break;
  }
  unlink_locked(h, &w);
  pthread_mutex_unlock(&h->mu);
  return code;
}

/* health-checking.md: a server shutting down reports NOT_SERVING. */
static void on_shutdown(void *user_data) {
  crpc_health *h = user_data;

  pthread_mutex_lock(&h->mu);
  for (size_t i = 0; i < h->entry_count; i++) {
    h->entries[i].status = CRPC_HEALTH_NOT_SERVING;
    notify_locked(h, h->entries[i].service, CRPC_HEALTH_NOT_SERVING);
  }
  h->is_shut_down = true;
  pthread_cond_broadcast(&h->changed);
  pthread_mutex_unlock(&h->mu);
}

static crpc_code set_locked(crpc_health *h, const char *service,
                            crpc_health_status status) {
  health_entry *e = find_locked(h, service);

  if (e == NULL) {
    if (h->entry_count == h->entry_cap) {
      size_t cap = h->entry_cap ? 2 * h->entry_cap : 8;
      health_entry *grown = crpc_mem_realloc(h->entries, cap * sizeof(*grown));
      if (grown == NULL)
        return CRPC_RESOURCE_EXHAUSTED;
      h->entries = grown;
      h->entry_cap = cap;
    }
    e = &h->entries[h->entry_count];
    e->service = crpc_mem_strdup(service);
    if (e->service == NULL)
      return CRPC_RESOURCE_EXHAUSTED;
    h->entry_count++;
  }
  e->status = status;
  notify_locked(h, service, status);
  return CRPC_OK;
}

CRPC_API crpc_code crpc_health_set(crpc_health *health, const char *service,
                                   crpc_health_status status) {
  crpc_code code = CRPC_OK;

  if (health == NULL || service == NULL ||
      (status != CRPC_HEALTH_UNKNOWN && status != CRPC_HEALTH_SERVING &&
       status != CRPC_HEALTH_NOT_SERVING))
    return CRPC_INVALID_ARGUMENT;
  pthread_mutex_lock(&health->mu);
  if (!health->is_shut_down)
    code = set_locked(health, service, status);
  pthread_mutex_unlock(&health->mu);
  return code;
}

static bool is_registered(crpc_server *server, const char *name) {
  for (size_t i = 0; i < crpc_server_service_count(server); i++)
    if (strcmp(crpc_server_service_at(server, i)->name, name) == 0)
      return true;
  return false;
}

CRPC_API crpc_code crpc_health_register(crpc_server *server,
                                        crpc_health **out) {
  static const Grpc__Health__V1__Health_Handlers handlers = {.check = check,
                                                             .watch = watch};
  pthread_condattr_t attr;
  crpc_health *h;
  crpc_code code;

  if (server == NULL || out == NULL ||
      is_registered(server, grpc__health__v1__health__crpc_service.name))
    return CRPC_INVALID_ARGUMENT;
  h = crpc_mem_calloc(1, sizeof(*h));
  if (h == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  pthread_mutex_init(&h->mu, NULL);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&h->changed, &attr);
  pthread_condattr_destroy(&attr);
  /* health-checking.md: "" is the server as a whole. */
  code = set_locked(h, "", CRPC_HEALTH_SERVING);
  if (code != CRPC_OK)
    goto fail;
  /* The hook first: it fails (server running) before anything is kept. */
  code = crpc_server_on_shutdown(server, on_shutdown, h);
  if (code != CRPC_OK)
    goto fail;
  code = grpc__health__v1__health__register_handlers(server, &handlers, h);
  if (code != CRPC_OK) {
    /* Out of memory with the hook in place: it points at |h|, which must
     * stay. A few bytes lost on a path that already failed. */
    crpc_log(CRPC_LOG_ERROR, "health: cannot register: %s",
             crpc_code_name(code));
    return code;
  }
  *out = h;
  return CRPC_OK;

fail:
  crpc_health_free(h);
  return code;
}

CRPC_API void crpc_health_free(crpc_health *health) {
  if (health == NULL)
    return;
  for (size_t i = 0; i < health->entry_count; i++)
    crpc_mem_free(health->entries[i].service);
  crpc_mem_free(health->entries);
  pthread_cond_destroy(&health->changed);
  pthread_mutex_destroy(&health->mu);
  crpc_mem_free(health);
}
