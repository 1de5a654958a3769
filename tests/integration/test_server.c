/*
 * tests/integration/test_server.c: the crpctest.Test service in a process.
 *
 *   test_server [--listen=ADDR] [--max_recv_len=N] [--inline]
 *               [--max_streams=N] [--max_connections=N] [--max_calls=N]
 *               [--preface_timeout_ms=N]
 *               [--keepalive=TIME_MS,TIMEOUT_MS]
 *               [--ping_policy=MIN_INTERVAL_MS,PERMIT_WITHOUT_CALLS,STRIKES]
 *               [--max_idle_ms=N] [--max_age=AGE_MS,GRACE_MS]
 *               [--unavailable] [--io_threads=N]
 *
 * --unavailable fails every Run with UNAVAILABLE (after counting its key),
 * a backend gone bad for outlier ejection tests. Prints "listening on
 * ADDR:PORT" once serving; SIGTERM shuts down
 * gracefully (5 s grace), SIGINT at once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testsvc.crpc.h"

static atomic_int cancelled_seen;
static bool is_unavailable;
static atomic_int forward_failed;

/* Calls seen per fault-injection key. */
#define KEYS 256
static pthread_mutex_t keys_mu = PTHREAD_MUTEX_INITIALIZER;
static char keys[KEYS][64];
static int key_calls[KEYS];

/* Counts one more call for |key| (when |add|) and returns the count. */
static int count_key(const char *key, bool add) {
  int n = 0;
  pthread_mutex_lock(&keys_mu);
  for (int i = 0; i < KEYS; i++) {
    if (keys[i][0] == '\0' && add)
      snprintf(keys[i], sizeof(keys[i]), "%s", key);
    if (strcmp(keys[i], key) == 0) {
      n = add ? ++key_calls[i] : key_calls[i];
      break;
    }
  }
  pthread_mutex_unlock(&keys_mu);
  return n;
}

/* Distinct names, up to 256 of them. */
typedef struct name_set {
  char names[256][64];
  int count;
} name_set;

/* Client connections (peer addresses) that called Run, and the threads
 * that ran it (with --inline, the server's I/O threads). */
static name_set peers, run_threads;

static void count_name(name_set *set, const char *name) {
  pthread_mutex_lock(&keys_mu);
  int i = 0;
  while (i < set->count && strcmp(set->names[i], name) != 0)
    i++;
  if (i == set->count && set->count < 256)
    snprintf(set->names[set->count++], sizeof(set->names[0]), "%s", name);
  pthread_mutex_unlock(&keys_mu);
}

static void count_this_thread(void) {
  static _Thread_local char here; /* its address names the thread */
  char name[32];
  snprintf(name, sizeof(name), "%p", (void *)&here);
  count_name(&run_threads, name);
}

/* Passes the call on to the next hop, under this call's deadline and
 * cancellation (crpc_server_call_opts). */
static crpc_code forward(crpc_server_call *call, const Crpctest__Ask *ask,
                         Crpctest__Answer *answer) {
  Crpctest__Ask next = *ask;
  Crpctest__Answer *reply = NULL;
  crpc_channel *channel;
  crpc_status st;
  next.forward_to = ask->forward_to + 1;
  next.n_forward_to = ask->n_forward_to - 1;
  if (crpc_channel_new(&channel, ask->forward_to[0], NULL) != CRPC_OK)
    return crpc_server_call_fail(call, CRPC_INTERNAL, "bad target %s",
                                 ask->forward_to[0]);
  crpc_call_opts *own = NULL;
  if (ask->detach && crpc_call_opts_new(&own) == CRPC_OK)
    crpc_call_opts_set_parent(own, call, 0);
  const crpc_call_opts *opts = own != NULL ? own : crpc_server_call_opts(call);
  crpc_code code =
      crpctest__test__run__call(channel, &next, &reply, opts, &st);
  crpc_call_opts_free(own);
  if (code == CRPC_OK) {
    uint8_t *copy = crpc_server_call_alloc(call, reply->payload.len + 1);
    if (copy != NULL && reply->payload.len > 0)
      memcpy(copy, reply->payload.data, reply->payload.len);
    answer->payload.data = copy;
    answer->payload.len = copy != NULL ? reply->payload.len : 0;
    crpctest__answer__free_unpacked(reply, NULL);
  } else {
    atomic_fetch_add(&forward_failed, 1);
    crpc_server_call_fail(call, code, "next hop: %s", st.message);
  }
  crpc_channel_free(channel);
  return code;
}

static bool sleep_watching(crpc_server_call *call, int ms) {
  for (int slept = 0; slept < ms; slept += 5) {
    if (crpc_server_call_is_cancelled(call))
      return true;
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
  }
  return crpc_server_call_is_cancelled(call);
}

static crpc_code echo_metadata(crpc_server_call *call) {
  const crpc_metadata *md = crpc_server_call_metadata(call);
  const char *key, *value;
  size_t len;
  for (size_t i = 0; crpc_metadata_at(md, i, &key, &value, &len); i++) {
    if (crpc_server_call_add_header(call, key, value, len) != CRPC_OK ||
        crpc_server_call_add_trailer(call, key, value, len) != CRPC_OK)
      return crpc_server_call_fail(call, CRPC_INTERNAL, "cannot echo %s", key);
  }
  return CRPC_OK;
}

static crpc_code run(crpc_server_call *call, const Crpctest__Ask *ask,
                     Crpctest__Answer *answer, void *user_data) {
  count_name(&peers, crpc_server_call_peer(call));
  count_this_thread();
  if (ask->n_forward_to > 0)
    return forward(call, ask, answer);
  if (ask->key[0] != '\0' &&
      count_key(ask->key, true) <= ask->fail_first) {
    if (ask->pushback[0] != '\0')
      crpc_server_call_set_retry_pushback(call, atoll(ask->pushback));
    return crpc_server_call_fail(
        call, ask->code != 0 ? (crpc_code)ask->code : CRPC_UNAVAILABLE,
        "injected failure");
  }
  if (is_unavailable)
    return crpc_server_call_fail(call, CRPC_UNAVAILABLE, "--unavailable");
  if (ask->sleep_ms > 0 && sleep_watching(call, ask->sleep_ms)) {
    atomic_fetch_add(&cancelled_seen, 1);
    answer->was_cancelled = true;
    return CRPC_CANCELLED;
  }
  if (ask->echo_metadata && echo_metadata(call) != CRPC_OK)
    return CRPC_INTERNAL;
  if (ask->code != 0 && ask->fail_first == 0)
    return crpc_server_call_fail(call, (crpc_code)ask->code, "%s",
                                 ask->message);
  answer->payload = ask->payload; /* the request outlives the reply */
  return CRPC_OK;
}

static crpc_code stats(crpc_server_call *call, const Crpctest__Ask *ask,
                       Crpctest__Answer *answer, void *user_data) {
  char *text = crpc_server_call_alloc(call, 48);
  if (text == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  pthread_mutex_lock(&keys_mu);
  int connections = peers.count, threads = run_threads.count;
  pthread_mutex_unlock(&keys_mu);
  int n = snprintf(text, 48, "%d %d %d %d %d", atomic_load(&cancelled_seen),
                   atomic_load(&forward_failed), count_key(ask->message, false),
                   connections, threads);
  answer->payload.data = (uint8_t *)text;
  answer->payload.len = (size_t)n;
  return CRPC_OK;
}

int main(int argc, char **argv) {
  const char *listen = "127.0.0.1:0";
  crpc_server_opts *opts;
  crpc_server *server;
  int port = 0;
  long long a, b, c;

  if (crpc_server_opts_new(&opts) != CRPC_OK)
    return 1;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--listen=", 9) == 0)
      listen = argv[i] + 9;
    else if (strncmp(argv[i], "--max_recv_len=", 15) == 0)
      crpc_server_opts_set_max_recv_len(opts, strtoul(argv[i] + 15, NULL, 10));
    else if (strcmp(argv[i], "--inline") == 0)
      crpc_server_opts_set_handler_threads(opts, 0);
    else if (strncmp(argv[i], "--max_streams=", 14) == 0)
      crpc_server_opts_set_max_concurrent_streams(opts, atoi(argv[i] + 14));
    else if (strncmp(argv[i], "--max_connections=", 18) == 0)
      crpc_server_opts_set_max_connections(opts, atoi(argv[i] + 18));
    else if (strncmp(argv[i], "--max_calls=", 12) == 0)
      crpc_server_opts_set_max_calls(opts, atoi(argv[i] + 12));
    else if (strncmp(argv[i], "--preface_timeout_ms=", 21) == 0)
      crpc_server_opts_set_preface_timeout(opts, atoi(argv[i] + 21));
    else if (strncmp(argv[i], "--keepalive=", 12) == 0 &&
             sscanf(argv[i] + 12, "%lld,%lld", &a, &b) == 2)
      crpc_server_opts_set_keepalive(opts, a, b);
    else if (strncmp(argv[i], "--ping_policy=", 14) == 0 &&
             sscanf(argv[i] + 14, "%lld,%lld,%lld", &a, &b, &c) == 3)
      crpc_server_opts_set_ping_policy(opts, a, b != 0, (int)c);
    else if (strncmp(argv[i], "--io_threads=", 13) == 0)
      crpc_server_opts_set_io_threads(opts, atoi(argv[i] + 13));
    else if (strcmp(argv[i], "--unavailable") == 0)
      is_unavailable = true;
    else if (strncmp(argv[i], "--max_idle_ms=", 14) == 0)
      crpc_server_opts_set_max_connection_idle(opts, atoll(argv[i] + 14));
    else if (strncmp(argv[i], "--max_age=", 10) == 0 &&
             sscanf(argv[i] + 10, "%lld,%lld", &a, &b) == 2)
      crpc_server_opts_set_max_connection_age(opts, a, b);
  }
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  static const Crpctest__Test_Handlers handlers = {
      .run = run, .run_idempotent = run, .stats = stats};
  if (crpc_server_new(&server, opts) != CRPC_OK ||
      crpctest__test__register_handlers(server, &handlers, NULL) != CRPC_OK ||
      crpc_server_listen(server, listen, &port) != CRPC_OK ||
      crpc_server_start(server) != CRPC_OK) {
    fprintf(stderr, "test_server: cannot serve on %s\n", listen);
    return 1;
  }
  crpc_server_opts_free(opts);
  if (strncmp(listen, "unix:", 5) == 0)
    printf("listening on %s\n", listen);
  else
    printf("listening on port %d\n", port);
  fflush(stdout);

  int sig;
  sigwait(&sigs, &sig);
  crpc_server_shutdown(server, sig == SIGTERM ? 5000 : 0);
  crpc_server_free(server);
  return 0;
}
