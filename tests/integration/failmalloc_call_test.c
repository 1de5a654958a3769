/*
 * tests/integration/failmalloc_call_test.c: whole calls with one allocation
 * failing, in the manner of nghttp2's tests/failmalloc.c but through every
 * layer at once: client call, channel and load balancing, HTTP/2 on both
 * sides, server call and dispatch.
 *
 * A server and a channel to it live in this process, so the allocation hook
 * (base/mem.h), which is process-wide, counts both. For k = 0, 1, 2... the
 * k-th allocation from just before a call fails, in whichever thread makes
 * it; the call must end by its deadline with OK or a status the library
 * produces for no memory or a lost connection, and the next call, with
 * nothing failing, must succeed on the same channel and server. The loop
 * ends when k is past the call's allocations: nothing failed and the call
 * succeeded. Leaks on the failure paths show in the --enable-sanitizers
 * build (LeakSanitizer) and under valgrind.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "streamsvc.crpc.h"

#define CALL_TIMEOUT_MS 3000
#define MAX_POINTS 400      /* allocation points tried per call kind */
#define MAX_LOOP_SECONDS 40 /* and wall time, well under the timeout */
#define PAYLOAD_LEN 100
#define FETCH_COUNT 3
#define CHAT_COUNT 2

static crpc_server *server;
static char target[64];
static crpc_channel_opts *channel_opts; /* reconnecting at once */
static crpc_channel *channel;
static crpc_call_opts *opts;    /* CALL_TIMEOUT_MS, wait-for-ready */
static long point = -1;         /* the allocation failing, for messages */
static crpc_status last_status; /* the last call's status, for messages */

/* Server handlers: small, exact answers the client checks. */

static crpc_code unary(crpc_server_call *call, const Crpcstream__Req *req,
                       Crpcstream__Item *reply, void *user_data) {
  (void)user_data;
  reply->seq = req->count;
  reply->payload.len = (size_t)req->size;
  reply->payload.data = crpc_server_call_alloc(call, reply->payload.len);
  if (reply->payload.data == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  memset(reply->payload.data, 'u', reply->payload.len);
  return CRPC_OK;
}

static crpc_code fetch(crpc_server_call *call, const Crpcstream__Req *req,
                       void *user_data) {
  Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
  crpc_code code;

  (void)user_data;
  for (int i = 0; i < req->count; i++) {
    item.seq = i;
    if ((code = crpcstream__streams__fetch__write(call, &item)) != CRPC_OK)
      return code;
  }
  return CRPC_OK;
}

/* Echoes every item, then one whose seq counts them. */
static crpc_code chat(crpc_server_call *call, void *user_data) {
  Crpcstream__Item *item, last = CRPCSTREAM__ITEM__INIT;
  crpc_code code;

  (void)user_data;
  for (;;) {
    if ((code = crpcstream__streams__chat__read(call, &item)) != CRPC_OK)
      return code;
    if (item == NULL)
      break;
    code = crpcstream__streams__chat__write(call, item);
    crpcstream__item__free_unpacked(item, NULL);
    if (code != CRPC_OK)
      return code;
    last.seq++;
  }
  return crpcstream__streams__chat__write(call, &last);
}

static void setup(void) {
  static const Crpcstream__Streams_Handlers handlers = {
      .unary = unary, .fetch = fetch, .chat = chat};
  int port = 0;

  crpc_mem_fail_nghttp2(false); /* see base/mem.h */
  cr_assert_eq(crpc_server_new(&server, NULL), CRPC_OK);
  cr_assert_eq(crpcstream__streams__register_handlers(server, &handlers, NULL),
               CRPC_OK);
  cr_assert_eq(crpc_server_listen(server, "127.0.0.1:0", &port), CRPC_OK);
  cr_assert_eq(crpc_server_start(server), CRPC_OK);
  snprintf(target, sizeof(target), "127.0.0.1:%d", port);
  /* A connection lost to a failed allocation comes back at once, so that
   * the recovery call does not wait out the default one-second backoff. */
  cr_assert_eq(crpc_channel_opts_new(&channel_opts), CRPC_OK);
  crpc_channel_opts_set_connect_backoff(channel_opts, 10, 100);
  cr_assert_eq(crpc_channel_new(&channel, target, channel_opts), CRPC_OK);
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, CALL_TIMEOUT_MS);
  crpc_call_opts_set_wait_for_ready(opts, true);
}

static void teardown(void) {
  crpc_mem_fail_after(-1);
  crpc_call_opts_free(opts);
  crpc_channel_free(channel);
  crpc_channel_opts_free(channel_opts);
  crpc_server_shutdown(server, 0);
  crpc_server_free(server);
}

TestSuite(failmalloc_call, .init = setup, .fini = teardown, .timeout = 90);

/* Calls: each returns the call's code after checking what came back. */

typedef crpc_code call_op(void);

static crpc_code unary_call(void) {
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *reply = NULL;

  req.count = 7;
  req.size = PAYLOAD_LEN;
  crpc_code rc = crpcstream__streams__unary__call(channel, &req, &reply, opts,
                                                  &last_status);
  cr_assert_eq(last_status.code, rc);
  if (rc != CRPC_OK) {
    cr_assert_null(reply, "allocation %ld: a reply with code %d", point, rc);
    return rc;
  }
  cr_assert_eq(reply->seq, 7);
  cr_assert_eq(reply->payload.len, PAYLOAD_LEN);
  for (size_t i = 0; i < PAYLOAD_LEN; i++)
    cr_assert_eq(reply->payload.data[i], 'u');
  crpcstream__item__free_unpacked(reply, NULL);
  return CRPC_OK;
}

/* Receives items until the end of the stream, expecting seq 0, 1, 2...
 * Returns how many came, or -1 if the stream broke (the status says why). */
static int recv_items(crpc_call *call,
                      crpc_code (*recv)(crpc_call *, Crpcstream__Item **)) {
  Crpcstream__Item *item;
  int n = 0;

  for (;;) {
    if (recv(call, &item) != CRPC_OK)
      return -1;
    if (item == NULL)
      return n;
    cr_assert_eq(item->seq, n, "item %d has seq %d", n, item->seq);
    crpcstream__item__free_unpacked(item, NULL);
    n++;
  }
}

/* Finishes and frees |call|; an OK status must come with |got| == |want|. */
static crpc_code finish(crpc_call *call, int got, int want) {
  crpc_code rc = crpc_call_finish(call, &last_status);

  crpc_call_free(call);
  cr_assert_eq(last_status.code, rc);
  if (rc == CRPC_OK)
    cr_assert_eq(got, want, "allocation %ld: OK after %d of %d messages", point,
                 got, want);
  return rc;
}

static crpc_code fetch_call(void) {
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  crpc_call *call = NULL;
  crpc_code rc;

  req.count = FETCH_COUNT;
  if ((rc = crpcstream__streams__fetch__start(channel, &req, opts, &call)) !=
      CRPC_OK) {
    cr_assert_null(call);
    return rc;
  }
  return finish(call, recv_items(call, crpcstream__streams__fetch__recv),
                FETCH_COUNT);
}

static crpc_code chat_call(void) {
  Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
  crpc_call *call = NULL;
  crpc_code rc;
  int got = -1;

  if ((rc = crpcstream__streams__chat__start(channel, opts, &call)) !=
      CRPC_OK) {
    cr_assert_null(call);
    return rc;
  }
  for (item.seq = 0; item.seq < CHAT_COUNT; item.seq++)
    if (crpcstream__streams__chat__send(call, &item) != CRPC_OK) {
      /* The call stays open without the message: the server would wait
       * for it until the deadline, so give up as an application would. */
      crpc_call_cancel(call);
      return finish(call, got, CHAT_COUNT + 1);
    }
  if (crpc_call_close_send(call) == CRPC_OK)
    got = recv_items(call, crpcstream__streams__chat__recv);
  return finish(call, got, CHAT_COUNT + 1);
}

/* What a call may end with when an allocation fails under it. */
static bool is_clean_failure(crpc_code rc) {
  switch (rc) {
  case CRPC_RESOURCE_EXHAUSTED: /* no memory, on either side */
  case CRPC_UNAVAILABLE:        /* the connection died of it */
  case CRPC_INTERNAL:           /* a message that could not be unpacked */
  case CRPC_CANCELLED:
  case CRPC_DEADLINE_EXCEEDED:
    return true;
  default:
    return false;
  }
}

/*
 * One call with the allocation after the next |k| failing: on the channel
 * as it is, or (|on_new_channel|) on a new one, so that the failure may hit
 * creating the channel, picking an address and opening the connection on
 * both sides. Sets |*fired| if an allocation failed.
 */
static crpc_code call_failing(call_op *op, long k, bool on_new_channel,
                              bool *fired) {
  long failures = crpc_mem_failures();
  crpc_code rc = CRPC_OK;

  if (on_new_channel) {
    crpc_channel_free(channel);
    channel = NULL;
  }
  point = k;
  crpc_mem_fail_once_after(k);
  if (on_new_channel)
    rc = crpc_channel_new(&channel, target, channel_opts);
  if (rc == CRPC_OK)
    rc = op();
  crpc_mem_fail_after(-1);
  point = -1;
  *fired = crpc_mem_failures() != failures;
  if (channel == NULL) {
    cr_assert_eq(rc, CRPC_RESOURCE_EXHAUSTED, "channel_new gave code %d", rc);
    cr_assert_eq(crpc_channel_new(&channel, target, channel_opts), CRPC_OK);
  }
  return rc;
}

/*
 * Runs |op| with the k-th allocation failing for k = 0, 1, 2... until it
 * runs with nothing failing; after each, the next call must succeed.
 * Returns the number of allocation points.
 */
static long fail_each_point(const char *name, call_op *op,
                            bool on_new_channel) {
  time_t start = time(NULL);
  long deadline_exceeded = 0;
  bool fired;

  cr_assert_eq(op(), CRPC_OK, "%s: warm-up call failed", name);
  for (long k = 0; k < MAX_POINTS; k++) {
    cr_assert_lt(time(NULL) - start, MAX_LOOP_SECONDS,
                 "%s: out of time at allocation %ld", name, k);
    crpc_code rc = call_failing(op, k, on_new_channel, &fired);
    cr_assert(rc == CRPC_OK || (fired && is_clean_failure(rc)),
              "%s: allocation %ld (%s) gave code %d: %s", name, k,
              fired ? "failed" : "not reached", rc, last_status.message);
    crpc_status failed = last_status;
    if (rc == CRPC_DEADLINE_EXCEEDED) { /* clean, but something waited */
      cr_log_info("%s: allocation %ld failed; the call ran to its deadline",
                  name, k);
      deadline_exceeded++;
    }
    cr_assert_eq(op(), CRPC_OK,
                 "%s: after allocation %ld failed (code %d: %s), code %d: %s",
                 name, k, failed.code, failed.message, last_status.code,
                 last_status.message);
    if (!fired) {
      cr_log_info("%s%s: %ld allocation points, %ld deadline exceeded", name,
                  on_new_channel ? " on a new channel" : "", k,
                  deadline_exceeded);
      return k;
    }
  }
  cr_assert_fail("%s: still failing after %d allocations", name, MAX_POINTS);
  return -1;
}

/* A unary call on a connection already open allocates once, the client's
 * call object (the rest lives in arenas, and the server's calls and
 * HTTP/2 memory are pooled); one on a new channel allocates far more. */
Test(failmalloc_call, unary) {
  cr_assert_geq(fail_each_point("unary", unary_call, false), 1);
  cr_assert_gt(fail_each_point("unary", unary_call, true), 10);
}

Test(failmalloc_call, streaming) {
  cr_assert_gt(fail_each_point("server streaming", fetch_call, false), 2);
  cr_assert_gt(fail_each_point("bidi", chat_call, false), 2);
  cr_assert_gt(fail_each_point("server streaming", fetch_call, true), 10);
  cr_assert_gt(fail_each_point("bidi", chat_call, true), 10);
}
