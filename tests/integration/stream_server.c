/*
 * tests/integration/stream_server.c: the crpcstream.Streams service in a
 * process, for streaming_test.
 *
 *   stream_server [--listen=ADDR]
 *
 * Prints "listening on port PORT" once serving; SIGTERM shuts down
 * gracefully (5 s grace), SIGINT at once. Every handler counts what it saw
 * in process-wide counters that GetStats reports: each test starts its own
 * server, so the counters belong to one test.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "streamsvc.crpc.h"

static atomic_int cancelled_seen;
static atomic_int deadline_seen;
static atomic_int written;
static atomic_int read_count;
static atomic_int other_failures;
static atomic_int last_failure_code;

/* Records why a read or write failed, and whether the call knew. */
static crpc_code note_failure(crpc_server_call *call, crpc_code code) {
  bool is_cancelled = crpc_server_call_is_cancelled(call);
  if (code == CRPC_CANCELLED && is_cancelled)
    atomic_fetch_add(&cancelled_seen, 1);
  else if (code == CRPC_DEADLINE_EXCEEDED && is_cancelled)
    atomic_fetch_add(&deadline_seen, 1);
  else
    atomic_fetch_add(&other_failures, 1);
  atomic_store(&last_failure_code, (int)code);
  return code;
}

/* Sleeps |ms| in slices; returns early once the call is cancelled. */
static void sleep_watching(crpc_server_call *call, int ms) {
  for (int slept = 0; slept < ms; slept += 5) {
    if (crpc_server_call_is_cancelled(call))
      return;
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
  }
}

/* An integer from request metadata, |fallback| if absent. */
static int md_int(crpc_server_call *call, const char *key, int fallback) {
  size_t len;
  const char *v = crpc_metadata_get(crpc_server_call_metadata(call), key, &len);
  return v != NULL ? atoi(v) : fallback;
}

static void add_count_trailer(crpc_server_call *call, const char *key, int n) {
  char text[16];
  int len = snprintf(text, sizeof(text), "%d", n);
  crpc_server_call_add_trailer(call, key, text, (size_t)len);
}

static crpc_code fetch(crpc_server_call *call, const Crpcstream__Req *req,
                       void *user_data) {
  Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
  crpc_code code;

  crpc_server_call_add_header(call, "x-method", "fetch", 5);
  item.payload.len = req->size > 0 ? (size_t)req->size : 0;
  item.payload.data = crpc_server_call_alloc(call, item.payload.len + 1);
  if (item.payload.data == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  memset(item.payload.data, 'f', item.payload.len);
  atomic_store(&written, 0);
  for (int i = 0; i < req->count; i++) {
    if (req->code != 0 && i == req->fail_after)
      break;
    if (req->sleep_ms > 0)
      sleep_watching(call, req->sleep_ms); /* then write anyway */
    item.seq = i;
    code = crpcstream__streams__fetch__write(call, &item);
    if (code != CRPC_OK)
      return note_failure(call, code);
    atomic_fetch_add(&written, 1);
  }
  add_count_trailer(call, "x-items-sent", atomic_load(&written));
  if (req->code != 0)
    return crpc_server_call_fail(call, (crpc_code)req->code, "%s",
                                 req->message != NULL ? req->message : "");
  return CRPC_OK;
}

static crpc_code upload(crpc_server_call *call, Crpcstream__Summary *summary,
                        void *user_data) {
  int hold_ms = md_int(call, "x-hold-ms", 0);
  int fail_after = md_int(call, "x-fail-after", -1);
  Crpcstream__Item *item;
  crpc_code code;

  atomic_store(&read_count, 0);
  if (hold_ms > 0)
    sleep_watching(call, hold_ms);
  for (;;) {
    if (fail_after >= 0 && summary->count == fail_after)
      return crpc_server_call_fail(call, (crpc_code)md_int(call, "x-code", 10),
                                   "failed after %d items", fail_after);
    code = crpcstream__streams__upload__read(call, &item);
    if (code != CRPC_OK)
      return note_failure(call, code);
    if (item == NULL)
      break; /* the client half-closed */
    summary->count++;
    summary->bytes += (int64_t)item->payload.len;
    atomic_fetch_add(&read_count, 1);
    crpcstream__item__free_unpacked(item, NULL);
  }
  add_count_trailer(call, "x-items-read", summary->count);
  return CRPC_OK;
}

static crpc_code chat(crpc_server_call *call, void *user_data) {
  int hold_ms = md_int(call, "x-hold-ms", 0);
  Crpcstream__Item *item, last = CRPCSTREAM__ITEM__INIT;
  crpc_code code;
  int n = 0;

  atomic_store(&read_count, 0);
  atomic_store(&written, 0);
  if (hold_ms > 0)
    sleep_watching(call, hold_ms);
  for (;;) {
    code = crpcstream__streams__chat__read(call, &item);
    if (code != CRPC_OK)
      return note_failure(call, code);
    if (item == NULL)
      break;
    n++;
    atomic_fetch_add(&read_count, 1);
    code = crpcstream__streams__chat__write(call, item);
    crpcstream__item__free_unpacked(item, NULL);
    if (code != CRPC_OK)
      return note_failure(call, code);
    atomic_fetch_add(&written, 1);
  }
  /* After the client's half-close we may still write. */
  last.seq = n;
  code = crpcstream__streams__chat__write(call, &last);
  if (code != CRPC_OK)
    return note_failure(call, code);
  add_count_trailer(call, "x-items-read", n);
  return CRPC_OK;
}

static crpc_code unary(crpc_server_call *call, const Crpcstream__Req *req,
                       Crpcstream__Item *reply, void *user_data) {
  if (req->code != 0)
    return crpc_server_call_fail(call, (crpc_code)req->code, "%s",
                                 req->message != NULL ? req->message : "");
  reply->seq = req->count;
  reply->payload.len = req->size > 0 ? (size_t)req->size : 0;
  reply->payload.data = crpc_server_call_alloc(call, reply->payload.len + 1);
  if (reply->payload.data == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  memset(reply->payload.data, 'u', reply->payload.len);
  return CRPC_OK;
}

static crpc_code get_stats(crpc_server_call *call,
                           const Crpcstream__StatsRequest *req,
                           Crpcstream__Stats *stats, void *user_data) {
  stats->cancelled_seen = atomic_load(&cancelled_seen);
  stats->deadline_seen = atomic_load(&deadline_seen);
  stats->written = atomic_load(&written);
  stats->read = atomic_load(&read_count);
  stats->other_failures = atomic_load(&other_failures);
  stats->last_failure_code = atomic_load(&last_failure_code);
  return CRPC_OK;
}

int main(int argc, char **argv) {
  const char *listen = "127.0.0.1:0";
  crpc_server *server;
  int port = 0;

  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--listen=", 9) == 0)
      listen = argv[i] + 9;
  }
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  static const Crpcstream__Streams_Handlers handlers = {
      .fetch = fetch,
      .upload = upload,
      .chat = chat,
      .unary = unary,
      .get_stats = get_stats,
  };
  if (crpc_server_new(&server, NULL) != CRPC_OK ||
      crpcstream__streams__register_handlers(server, &handlers, NULL) !=
          CRPC_OK ||
      crpc_server_listen(server, listen, &port) != CRPC_OK ||
      crpc_server_start(server) != CRPC_OK) {
    fprintf(stderr, "stream_server: cannot serve on %s\n", listen);
    return 1;
  }
  printf("listening on port %d\n", port);
  fflush(stdout);

  int sig;
  sigwait(&sigs, &sig);
  crpc_server_shutdown(server, sig == SIGTERM ? 5000 : 0);
  crpc_server_free(server);
  return 0;
}
