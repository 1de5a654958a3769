/*
 * server/server.c: listeners, I/O loops and connections of a server.
 *
 * Loop 0 accepts and hands each connection to a loop in turn; a connection
 * stays on its loop for life. Nothing the loops write per call is shared:
 * each counts its live calls on a cache line of its own, so that a second
 * loop costs a wake-up per connection and nothing per call. With TLS
 * credentials each accepted socket is wrapped in TLS (tls/credentials.h)
 * from the credentials' certificates of the moment, so a reload affects
 * only later connections. Shutdown drains every
 * connection with GOAWAY, waits up to the grace period, closes what is left
 * (cancelling its calls) and waits for every handler to return.
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "http2/h2_conn.h"
#include "server/server_call.h"
#include "tls/credentials.h"
#include "transport/socket.h"

#define DEFAULT_MAX_RECV_LEN (4 * 1024 * 1024)
#define MAX_LISTENERS 16

struct crpc_server_opts {
  int io_threads;
  int handler_threads;
  size_t max_recv_len;
  uint32_t max_concurrent_streams;
  size_t max_connections;         /* 0: no limit */
  size_t max_calls;               /* 0: no limit */
  crpc_server_credentials *creds; /* a reference; NULL: insecure */
  crpc_h2_settings conn;          /* keepalive, ping policy, idle and age */
};

/*
 * A counter that threads write per call, alone on its cache line (64 bytes
 * on the CPUs we run on) so that writing it never evicts what another I/O
 * thread reads or writes per call. Padding rather than _Alignas, because
 * crpc_mem_calloc() only aligns to max_align_t.
 */
enum { CACHE_LINE = 64 };
typedef struct lone_count {
  char before[CACHE_LINE];
  atomic_size_t n;
  char after[CACHE_LINE - sizeof(atomic_size_t)];
} lone_count;

typedef struct service_entry {
  const crpc_service_desc *desc;
  void *handlers; /* a copy */
  void *user_data;
} service_entry;

typedef struct listener {
  int fd;
  crpc_addr addr;
  crpc_io io;
  crpc_timer pause; /* re-arms io after running out of descriptors */
  struct crpc_server *server;
} listener;

/* One I/O loop and the connections it owns (loop thread only). */
typedef struct server_loop {
  struct crpc_server *server;
  crpc_loop *loop;
  crpc_h2_conn **conns;
  size_t conn_count;
  size_t conn_cap;
  bool is_draining;
  crpc_task start_task;
  crpc_task drain_task;
  crpc_task close_task;
  /* Calls opened on this loop minus calls freed on its thread: counts on
   * several threads' counters add up to the number of live calls. */
  lone_count calls;
  crpc_call_cache call_cache; /* server_call.c's, for this loop's calls */
} server_loop;

/* The server loop this thread runs, if any. */
static _Thread_local server_loop *this_loop;

/* An accepted socket on its way to another loop. */
typedef struct handoff {
  crpc_task task;
  server_loop *sl;
  int fd;
  crpc_addr peer;
} handoff;

typedef enum { NEW, RUNNING, STOPPED } server_state;

typedef struct shutdown_hook {
  crpc_server_shutdown_cb *cb;
  void *user_data;
} shutdown_hook;

struct crpc_server {
  crpc_server_opts opts;
  server_state state;
  service_entry *services;
  size_t service_count;
  crpc_server_method *methods; /* open-addressing table keyed by path */
  size_t method_cap;           /* a power of two */
  listener listeners[MAX_LISTENERS];
  size_t listener_count;
  server_loop *loops;
  size_t loop_count;
  size_t next_loop; /* loop 0 thread only */
  crpc_workers *workers;
  crpc_h2_settings settings;
  crpc_task stop_listening_task;
  shutdown_hook *hooks;
  size_t hook_count;

  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t conn_total;                /* guarded by mu */
  bool is_listening;                /* guarded by mu */
  atomic_bool is_awaiting_calls;    /* shutdown waits for calls_open() == 0 */
  lone_count calls_freed_elsewhere; /* by threads other than our loops */
  lone_count calls_admitted;        /* in flight, against max_calls (if any) */
};

/* gRPC's server defaults (doc/keepalive.md). */
static void default_conn_settings(crpc_h2_settings *s) {
  crpc_h2_settings_init(s);
  s->keepalive_time_ms = 2 * 60 * 60 * 1000;
  s->keepalive_without_calls = true; /* to find clients that vanished */
  s->min_ping_interval_ms = 5 * 60 * 1000;
  s->max_ping_strikes = 2;
}

CRPC_API crpc_code crpc_server_opts_new(crpc_server_opts **out) {
  crpc_server_opts *opts = crpc_mem_calloc(1, sizeof(*opts));
  if (opts == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  opts->io_threads = 1;
  opts->handler_threads = 64;
  opts->max_recv_len = DEFAULT_MAX_RECV_LEN;
  opts->max_concurrent_streams = 1000;
  default_conn_settings(&opts->conn);
  *out = opts;
  return CRPC_OK;
}

CRPC_API void crpc_server_opts_free(crpc_server_opts *opts) {
  if (opts == NULL)
    return;
  crpc_server_credentials_free(opts->creds);
  crpc_mem_free(opts);
}

CRPC_API void
crpc_server_opts_set_credentials(crpc_server_opts *opts,
                                 const crpc_server_credentials *creds) {
  crpc_server_credentials *ref = crpc_server_credentials_ref(creds);
  crpc_server_credentials_free(opts->creds);
  opts->creds = ref;
}

CRPC_API void crpc_server_opts_set_io_threads(crpc_server_opts *opts,
                                              int count) {
  opts->io_threads = count < 1 ? 1 : count;
}

CRPC_API void crpc_server_opts_set_handler_threads(crpc_server_opts *opts,
                                                   int count) {
  opts->handler_threads = count < 0 ? 0 : count;
}

CRPC_API void crpc_server_opts_set_max_recv_len(crpc_server_opts *opts,
                                                size_t len) {
  opts->max_recv_len = len;
}

CRPC_API void
crpc_server_opts_set_max_concurrent_streams(crpc_server_opts *opts,
                                            uint32_t count) {
  opts->max_concurrent_streams = count;
}

CRPC_API void crpc_server_opts_set_max_connections(crpc_server_opts *opts,
                                                   size_t count) {
  opts->max_connections = count;
}

CRPC_API void crpc_server_opts_set_max_calls(crpc_server_opts *opts,
                                             size_t count) {
  opts->max_calls = count;
}

CRPC_API void crpc_server_opts_set_preface_timeout(crpc_server_opts *opts,
                                                   int64_t ms) {
  opts->conn.preface_timeout_ms = ms > 0 ? ms : 1;
}

CRPC_API void crpc_server_opts_set_max_header_list_len(crpc_server_opts *opts,
                                                       uint32_t len) {
  opts->conn.max_header_list_len = len;
}

CRPC_API void crpc_server_opts_set_keepalive(crpc_server_opts *opts,
                                             int64_t time_ms,
                                             int64_t timeout_ms) {
  opts->conn.keepalive_time_ms = time_ms > 0 ? time_ms : 1;
  opts->conn.keepalive_timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
}

CRPC_API void crpc_server_opts_set_ping_policy(crpc_server_opts *opts,
                                               int64_t min_interval_ms,
                                               bool permit_without_calls,
                                               int max_strikes) {
  opts->conn.min_ping_interval_ms = min_interval_ms > 0 ? min_interval_ms : 0;
  opts->conn.permit_pings_without_calls = permit_without_calls;
  opts->conn.max_ping_strikes = max_strikes > 0 ? max_strikes : 0;
}

CRPC_API void crpc_server_opts_set_max_connection_idle(crpc_server_opts *opts,
                                                       int64_t ms) {
  opts->conn.max_idle_ms = ms > 0 ? ms : 1;
}

CRPC_API void crpc_server_opts_set_max_connection_age(crpc_server_opts *opts,
                                                      int64_t age_ms,
                                                      int64_t grace_ms) {
  opts->conn.max_age_ms = age_ms > 0 ? age_ms : 1;
  opts->conn.age_grace_ms = grace_ms > 0 ? grace_ms : 0;
}

CRPC_API crpc_code crpc_server_new(crpc_server **out,
                                   const crpc_server_opts *opts) {
  crpc_server *s = crpc_mem_calloc(1, sizeof(*s));
  if (s == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  if (opts != NULL) {
    s->opts = *opts;
    s->opts.creds = crpc_server_credentials_ref(opts->creds);
  } else {
    s->opts.io_threads = 1;
    s->opts.handler_threads = 64;
    s->opts.max_recv_len = DEFAULT_MAX_RECV_LEN;
    s->opts.max_concurrent_streams = 1000;
    default_conn_settings(&s->opts.conn);
  }
  s->settings = s->opts.conn;
  s->settings.max_concurrent_streams = s->opts.max_concurrent_streams;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  *out = s;
  return CRPC_OK;
}

/*
 * Method table: open addressing with linear probing, at most half full.
 * The hash reads the length and the first and last 8 bytes of the path
 * (which name the service and the method), not every byte: a lookup per
 * call, and a collision only costs a probe.
 */
static uint32_t hash_path(const char *p, size_t len) {
  uint64_t head = 0, tail = 0;
  size_t n = len < 8 ? len : 8;
  memcpy(&head, p, n);
  memcpy(&tail, p + len - n, n);
  uint64_t h = (head * 0x9e3779b97f4a7c15ull) ^ (tail + len);
  h *= 0xff51afd7ed558ccdull;
  return (uint32_t)(h >> 32);
}

static bool table_put(crpc_server_method *table, size_t cap,
                      const crpc_server_method *m) {
  for (size_t i = hash_path(m->desc->path, m->path_len) & (cap - 1);;
       i = (i + 1) & (cap - 1)) {
    if (table[i].desc == NULL) {
      table[i] = *m;
      return true;
    }
    if (strcmp(table[i].desc->path, m->desc->path) == 0)
      return false;
  }
}

const crpc_server_method *crpc_server_find_method(const crpc_server *s,
                                                  const char *path,
                                                  size_t len) {
  if (s->method_cap == 0)
    return NULL;
  for (size_t i = hash_path(path, len) & (s->method_cap - 1);;
       i = (i + 1) & (s->method_cap - 1)) {
    const crpc_server_method *m = &s->methods[i];
    if (m->desc == NULL)
      return NULL;
    if (m->path_len == len && memcmp(m->desc->path, path, len) == 0)
      return m;
  }
}

static crpc_code rebuild_methods(crpc_server *s) {
  size_t count = 0;
  for (size_t i = 0; i < s->service_count; i++)
    count += s->services[i].desc->method_count;
  size_t cap = 8;
  while (cap < count * 2)
    cap *= 2;
  crpc_server_method *table = crpc_mem_calloc(cap, sizeof(*table));
  if (table == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  for (size_t i = 0; i < s->service_count; i++) {
    const service_entry *e = &s->services[i];
    for (size_t j = 0; j < e->desc->method_count; j++) {
      const crpc_method_desc *desc = &e->desc->methods[j];
      crpc_server_method m = {desc, e->handlers, e->user_data,
                              strlen(desc->path)};
      if (!table_put(table, cap, &m)) {
        crpc_mem_free(table);
        return CRPC_INVALID_ARGUMENT;
      }
    }
  }
  crpc_mem_free(s->methods);
  s->methods = table;
  s->method_cap = cap;
  return CRPC_OK;
}

CRPC_API crpc_code crpc_server_register(crpc_server *s,
                                        const crpc_service_desc *service,
                                        const void *handlers,
                                        size_t handlers_len, void *user_data) {
  if (s->state != NEW || service == NULL)
    return CRPC_INVALID_ARGUMENT;
  for (size_t i = 0; i < s->service_count; i++)
    if (strcmp(s->services[i].desc->name, service->name) == 0)
      return CRPC_INVALID_ARGUMENT;
  service_entry *services = crpc_mem_realloc(
      s->services, (s->service_count + 1) * sizeof(*services));
  if (services == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  s->services = services;
  void *copy = crpc_mem_malloc(handlers_len ? handlers_len : 1);
  if (copy == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  memcpy(copy, handlers, handlers_len);
  services[s->service_count++] = (service_entry){service, copy, user_data};
  crpc_code code = rebuild_methods(s);
  if (code != CRPC_OK) {
    s->service_count--;
    crpc_mem_free(copy);
  }
  return code;
}

CRPC_API crpc_code crpc_server_listen(crpc_server *s, const char *address,
                                      int *port) {
  crpc_status why;
  crpc_addr addr;
  if (s->state != NEW || s->listener_count == MAX_LISTENERS)
    return CRPC_INVALID_ARGUMENT;
  if (strncmp(address, "unix:", 5) == 0) {
    const char *path = address + 5;
    if (strncmp(path, "//", 2) == 0)
      path += 2;
    if (crpc_addr_unix(path, &addr) != CRPC_OK)
      return CRPC_INVALID_ARGUMENT;
  } else if (crpc_addr_resolve(address, NULL, &addr, 1, true, &why) == 0) {
    crpc_log(CRPC_LOG_ERROR, "listen on %s: %s", address, why.message);
    return why.code;
  }
  int fd = crpc_socket_listen(&addr, 1024);
  if (fd < 0) {
    crpc_log(CRPC_LOG_ERROR, "listen on %s: %s", address, strerror(-fd));
    return CRPC_UNAVAILABLE;
  }
  listener *l = &s->listeners[s->listener_count++];
  l->fd = fd;
  l->addr = addr;
  l->server = s;
  if (port != NULL) {
    if (addr.ss.ss_family == AF_INET)
      *port = ntohs(((struct sockaddr_in *)&addr.ss)->sin_port);
    else if (addr.ss.ss_family == AF_INET6)
      *port = ntohs(((struct sockaddr_in6 *)&addr.ss)->sin6_port);
    else
      *port = 0;
  }
  return CRPC_OK;
}

/* Connections. */

static void conn_counted(crpc_server *s, int delta) {
  pthread_mutex_lock(&s->mu);
  s->conn_total += (size_t)delta;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* Counts one more connection, unless that would pass max_connections. */
static bool conn_admit(crpc_server *s) {
  pthread_mutex_lock(&s->mu);
  bool is_admitted =
      s->opts.max_connections == 0 || s->conn_total < s->opts.max_connections;
  if (is_admitted)
    s->conn_total++;
  pthread_mutex_unlock(&s->mu);
  return is_admitted;
}

static void *on_stream_begin(void *owner, crpc_h2_conn *conn,
                             crpc_h2_stream **link) {
  server_loop *sl = owner;
  return crpc_server_call_new(sl->server, conn, link);
}

static void on_closed(void *owner, crpc_h2_conn *conn, const char *why) {
  server_loop *sl = owner;
  for (size_t i = 0; i < sl->conn_count; i++) {
    if (sl->conns[i] == conn) {
      sl->conns[i] = sl->conns[--sl->conn_count];
      break;
    }
  }
  conn_counted(sl->server, -1);
}

static const crpc_h2_conn_ops conn_ops = {
    .on_stream_begin = on_stream_begin,
    .on_closed = on_closed,
};

static void adopt(server_loop *sl, int fd, const crpc_addr *peer) {
  crpc_h2_conn *conn;
  crpc_stream *stream;
  crpc_status why;
  if (sl->is_draining || (sl->conn_count == sl->conn_cap &&
                          !(sl->conn_cap = sl->conn_cap ? sl->conn_cap * 2 : 16,
                            sl->conns = crpc_mem_realloc(
                                sl->conns, sl->conn_cap * sizeof(*sl->conns))))) {
    close(fd);
    return;
  }
  if (!conn_admit(sl->server)) {
    /* Cheapest refusal: no TLS, no HTTP/2, the client just fails over. */
    crpc_log(CRPC_LOG_DEBUG, "refusing a connection: %zu open already",
             sl->server->opts.max_connections);
    close(fd);
    return;
  }
  if (crpc_credentials_accept(sl->server->opts.creds, fd, &stream, &why) !=
      CRPC_OK) {
    crpc_log(CRPC_LOG_WARN, "accepting a connection: %s", why.message);
    close(fd);
    conn_counted(sl->server, -1);
    return;
  }
  if (crpc_h2_conn_accept(&conn, sl->loop, stream, peer, &sl->server->settings,
                          &crpc_server_call_h2_ops, &conn_ops, sl) != CRPC_OK) {
    crpc_log(CRPC_LOG_WARN, "out of memory accepting a connection");
    crpc_stream_free(stream); /* closes fd */
    conn_counted(sl->server, -1);
    return;
  }
  sl->conns[sl->conn_count++] = conn;
}

static void on_handoff(void *arg) {
  handoff *h = arg;
  adopt(h->sl, h->fd, &h->peer);
  crpc_mem_free(h);
}

/* Out of descriptors, the pending connection stays in the backlog and the
 * listener stays readable: stop watching it for a while instead of spinning. */
enum { ACCEPT_PAUSE_MS = 100 };

static void on_accept_resume(void *arg) {
  listener *l = arg;
  if (l->server->is_listening)
    crpc_io_want(&l->io, true, false);
}

static void on_accept(void *arg, bool readable, bool writable) {
  listener *l = arg;
  crpc_server *s = l->server;
  for (int i = 0; i < 64; i++) {
    crpc_addr peer;
    int fd = crpc_socket_accept(l->fd, &peer);
    if (fd < 0) {
      if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM) {
        crpc_log(CRPC_LOG_WARN, "accept: %s; pausing %d ms", strerror(-fd),
                 ACCEPT_PAUSE_MS);
        crpc_io_want(&l->io, false, false);
        crpc_timer_start_at(&l->pause, crpc_now_ms() + ACCEPT_PAUSE_MS);
      } else if (fd != -EAGAIN && fd != -EWOULDBLOCK && fd != -EINTR) {
        crpc_log(CRPC_LOG_WARN, "accept: %s", strerror(-fd));
      }
      return;
    }
    if (peer.ss.ss_family == AF_UNIX)
      peer = l->addr; /* the peer of a Unix socket has no name */
    server_loop *sl = &s->loops[s->next_loop++ % s->loop_count];
    if (sl == &s->loops[0]) {
      adopt(sl, fd, &peer);
      continue;
    }
    handoff *h = crpc_mem_malloc(sizeof(*h));
    if (h == NULL) {
      close(fd);
      continue;
    }
    h->sl = sl;
    h->fd = fd;
    h->peer = peer;
    crpc_task_init(&h->task, on_handoff, h);
    crpc_loop_post(sl->loop, &h->task);
  }
}

static void on_loop_start(void *arg) { this_loop = arg; }

static void on_start_listening(void *arg) {
  crpc_server *s = arg;
  for (size_t i = 0; i < s->listener_count; i++) {
    listener *l = &s->listeners[i];
    crpc_io_init(&l->io, s->loops[0].loop, l->fd, on_accept, l);
    crpc_timer_init(&l->pause, s->loops[0].loop, on_accept_resume, l);
    crpc_io_want(&l->io, true, false);
  }
}

CRPC_API crpc_code crpc_server_start(crpc_server *s) {
  if (s->state != NEW)
    return CRPC_INVALID_ARGUMENT;
  int threads = s->opts.handler_threads > 0 ? s->opts.handler_threads : 64;
  s->loops = crpc_mem_calloc((size_t)s->opts.io_threads, sizeof(*s->loops));
  if (s->loops == NULL ||
      crpc_workers_new(&s->workers, threads) != CRPC_OK)
    goto fail;
  for (int i = 0; i < s->opts.io_threads; i++) {
    server_loop *sl = &s->loops[i];
    sl->server = s;
    if (crpc_loop_new(&sl->loop) != CRPC_OK)
      goto fail;
    s->loop_count++;
    /* Posted before any connection, so every call counts on its loop. */
    crpc_task_init(&sl->start_task, on_loop_start, sl);
    crpc_loop_post(sl->loop, &sl->start_task);
  }
  s->state = RUNNING;
  s->is_listening = true;
  crpc_task_init(&s->stop_listening_task, on_start_listening, s);
  crpc_loop_post(s->loops[0].loop, &s->stop_listening_task);
  return CRPC_OK;

fail:
  for (size_t i = 0; i < s->loop_count; i++)
    crpc_loop_free(s->loops[i].loop);
  s->loop_count = 0;
  crpc_mem_free(s->loops);
  s->loops = NULL;
  crpc_workers_free(s->workers);
  s->workers = NULL;
  return CRPC_RESOURCE_EXHAUSTED;
}

/* Shutdown. */

static void on_stop_listening(void *arg) {
  crpc_server *s = arg;
  for (size_t i = 0; i < s->listener_count; i++) {
    crpc_io_want(&s->listeners[i].io, false, false);
    crpc_timer_stop(&s->listeners[i].pause);
    close(s->listeners[i].fd);
  }
  pthread_mutex_lock(&s->mu);
  s->is_listening = false;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

static void on_drain(void *arg) {
  server_loop *sl = arg;
  sl->is_draining = true;
  /* Two steps, so requests already on their way are served, not refused. */
  for (size_t i = 0; i < sl->conn_count; i++)
    crpc_h2_conn_drain_gracefully(sl->conns[i]);
}

static void on_close_all(void *arg) {
  server_loop *sl = arg;
  /* Closing calls back on_closed, which edits the array: copy first. */
  size_t count = sl->conn_count;
  crpc_h2_conn **conns = crpc_mem_malloc(count * sizeof(*conns) + 1);
  if (conns == NULL)
    return;
  if (count > 0)
    memcpy(conns, sl->conns, count * sizeof(*conns));
  for (size_t i = 0; i < count; i++)
    crpc_h2_conn_close(conns[i], "server shutting down");
  crpc_mem_free(conns);
}

static void wait_until(crpc_server *s, int64_t deadline, bool (*done)(crpc_server *)) {
  pthread_mutex_lock(&s->mu);
  while (!done(s)) {
    if (deadline == CRPC_DEADLINE_NONE) {
      pthread_cond_wait(&s->cv, &s->mu);
      continue;
    }
    int64_t left = deadline - crpc_now_ms();
    if (left <= 0)
      break;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += left / 1000;
    ts.tv_nsec += (left % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&s->cv, &s->mu, &ts);
  }
  pthread_mutex_unlock(&s->mu);
}

static bool no_listeners(crpc_server *s) { return !s->is_listening; }
static bool no_conns(crpc_server *s) { return s->conn_total == 0; }
/* Live calls. A call freed on another thread than the loop that opened it
 * takes one from another counter: the unsigned sum still comes out right. */
static size_t calls_open(crpc_server *s) {
  size_t n = atomic_load(&s->calls_freed_elsewhere.n);
  for (size_t i = 0; i < s->loop_count; i++)
    n += atomic_load(&s->loops[i].calls.n);
  return n;
}

static bool no_calls(crpc_server *s) { return calls_open(s) == 0; }

CRPC_API void crpc_server_shutdown(crpc_server *s, int64_t grace_ms) {
  if (s->state != RUNNING)
    return;
  s->state = STOPPED;
  for (size_t i = 0; i < s->hook_count; i++)
    s->hooks[i].cb(s->hooks[i].user_data);
  int64_t deadline = crpc_now_ms() + (grace_ms > 0 ? grace_ms : 0);
  crpc_task_init(&s->stop_listening_task, on_stop_listening, s);
  crpc_loop_post(s->loops[0].loop, &s->stop_listening_task);
  wait_until(s, CRPC_DEADLINE_NONE, no_listeners);
  for (size_t i = 0; i < s->loop_count; i++) {
    crpc_task_init(&s->loops[i].drain_task, on_drain, &s->loops[i]);
    crpc_loop_post(s->loops[i].loop, &s->loops[i].drain_task);
  }
  wait_until(s, deadline, no_conns);
  for (size_t i = 0; i < s->loop_count; i++) {
    crpc_task_init(&s->loops[i].close_task, on_close_all, &s->loops[i]);
    crpc_loop_post(s->loops[i].loop, &s->loops[i].close_task);
  }
  /* Closed connections cancel their calls; handlers notice and return. */
  wait_until(s, CRPC_DEADLINE_NONE, no_conns);
  atomic_store(&s->is_awaiting_calls, true);
  wait_until(s, CRPC_DEADLINE_NONE, no_calls);
  crpc_workers_free(s->workers);
  s->workers = NULL;
  for (size_t i = 0; i < s->loop_count; i++) {
    server_loop *sl = &s->loops[i];
    crpc_loop_free(sl->loop); /* joins its thread: the cache is ours */
    crpc_mem_free(sl->conns);
    crpc_server_call_cache_drain(&sl->call_cache);
  }
  s->loop_count = 0;
}

CRPC_API void crpc_server_free(crpc_server *s) {
  if (s == NULL)
    return;
  crpc_server_shutdown(s, 0);
  if (s->state == NEW)
    for (size_t i = 0; i < s->listener_count; i++)
      close(s->listeners[i].fd);
  for (size_t i = 0; i < s->service_count; i++)
    crpc_mem_free(s->services[i].handlers);
  crpc_server_credentials_free(s->opts.creds);
  crpc_mem_free(s->services);
  crpc_mem_free(s->hooks);
  crpc_mem_free(s->methods);
  crpc_mem_free(s->loops);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  crpc_mem_free(s);
}

size_t crpc_server_max_recv_len(const crpc_server *s) {
  return s->opts.max_recv_len;
}

crpc_workers *crpc_server_workers(const crpc_server *s) { return s->workers; }

bool crpc_server_runs_inline(const crpc_server *s) {
  return s->opts.handler_threads == 0;
}

/* The loop of |s| this thread runs, or NULL. */
static server_loop *own_loop(crpc_server *s) {
  server_loop *sl = this_loop;
  return sl != NULL && sl->server == s ? sl : NULL;
}

/* This thread's counter of the server's calls. */
static atomic_size_t *call_count(crpc_server *s) {
  server_loop *sl = own_loop(s);
  return sl != NULL ? &sl->calls.n : &s->calls_freed_elsewhere.n;
}

crpc_call_cache *crpc_server_call_cache(crpc_server *s) {
  server_loop *sl = own_loop(s);
  return sl != NULL ? &sl->call_cache : NULL;
}

void crpc_server_call_opened(crpc_server *s) {
  assert(own_loop(s) != NULL);
  atomic_fetch_add_explicit(call_count(s), 1, memory_order_relaxed);
}

void crpc_server_call_freed(crpc_server *s) {
  /*
   * Sequentially consistent, like shutdown's store of is_awaiting_calls
   * before it sums the counters: either it counts this call out, or we see
   * the flag and wake it. Until shutdown, no lock and no shared line.
   */
  atomic_fetch_sub(call_count(s), 1);
  if (!atomic_load(&s->is_awaiting_calls))
    return;
  pthread_mutex_lock(&s->mu);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

bool crpc_server_admit_call(crpc_server *s) {
  if (s->opts.max_calls == 0)
    return true; /* no limit: nothing to count across threads */
  size_t before = atomic_fetch_add(&s->calls_admitted.n, 1);
  if (before < s->opts.max_calls)
    return true;
  atomic_fetch_sub(&s->calls_admitted.n, 1);
  return false;
}

void crpc_server_call_retired(crpc_server *s) {
  if (s->opts.max_calls != 0)
    atomic_fetch_sub(&s->calls_admitted.n, 1);
}

size_t crpc_server_max_calls(const crpc_server *s) { return s->opts.max_calls; }

bool crpc_server_has_service(const crpc_server *s, const char *name,
                             size_t len) {
  for (size_t i = 0; i < s->service_count; i++) {
    const char *n = s->services[i].desc->name;
    if (strncmp(n, name, len) == 0 && n[len] == '\0')
      return true;
  }
  return false;
}

CRPC_API size_t crpc_server_service_count(const crpc_server *s) {
  return s->service_count;
}

CRPC_API const crpc_service_desc *crpc_server_service_at(const crpc_server *s,
                                                        size_t i) {
  return i < s->service_count ? s->services[i].desc : NULL;
}

CRPC_API crpc_code crpc_server_on_shutdown(crpc_server *s,
                                           crpc_server_shutdown_cb *cb,
                                           void *user_data) {
  if (s->state != NEW || cb == NULL)
    return CRPC_INVALID_ARGUMENT;
  shutdown_hook *hooks =
      crpc_mem_realloc(s->hooks, (s->hook_count + 1) * sizeof(*hooks));
  if (hooks == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  hooks[s->hook_count++] = (shutdown_hook){cb, user_data};
  s->hooks = hooks;
  return CRPC_OK;
}
