/*
 * tests/integration/streaming_test.c: the three streaming method kinds (and
 * unary next to them) through generated code, against stream_server, a real
 * process on loopback.
 *
 * Every call carries a deadline (CALL_TIMEOUT_MS unless the test is about
 * deadlines), so no wait on the runtime is unbounded even when it
 * misbehaves; threads are joined with a bound too.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "streamsvc.crpc.h"

#define CALL_TIMEOUT_MS 20000
#define MIB (1024 * 1024)

static test_proc server;
static char target[64];
static crpc_channel *channel;
static crpc_call_opts *opts; /* CALL_TIMEOUT_MS, nothing captured */

static void setup(void) {
  char path[512];
  snprintf(path, sizeof(path), "%s/tests/integration/stream_server",
           test_builddir());
  char *argv[] = {path, NULL};
  cr_assert(test_proc_start(&server, argv), "stream_server did not start");
  snprintf(target, sizeof(target), "127.0.0.1:%d", server.port);
  cr_assert_eq(crpc_channel_new(&channel, target, NULL), CRPC_OK);
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, CALL_TIMEOUT_MS);
}

static void teardown(void) {
  crpc_call_opts_free(opts);
  opts = NULL;
  crpc_channel_free(channel);
  channel = NULL;
  if (server.pid > 0)
    test_proc_stop(&server, SIGINT);
}

TestSuite(streaming, .init = setup, .fini = teardown, .timeout = 30);
/* Tests that move 200 MiB or run 1,000 calls. (A suite of their own: a
 * per-test .timeout makes Criterion 2.4's runner leak under LSan.) */
TestSuite(streaming_long, .init = setup, .fini = teardown, .timeout = 60);

/* Helpers. */

static void sleep_ms(int ms) {
  nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

/* A new options object with a deadline, capturing into |headers| and
 * |trailers| (either may be NULL). */
static crpc_call_opts *opts_new(int64_t timeout_ms, crpc_metadata *headers,
                                crpc_metadata *trailers) {
  crpc_call_opts *o;
  cr_assert_eq(crpc_call_opts_new(&o), CRPC_OK);
  crpc_call_opts_set_timeout_ms(o, timeout_ms);
  if (headers != NULL || trailers != NULL)
    crpc_call_opts_capture_metadata(o, headers, trailers);
  return o;
}

static void add_md_int(crpc_call_opts *o, const char *key, int value) {
  char text[16];
  int len = snprintf(text, sizeof(text), "%d", value);
  cr_assert_eq(crpc_call_opts_add_metadata(o, key, text, (size_t)len), CRPC_OK);
}

static void assert_md(const crpc_metadata *md, const char *key,
                      const char *want) {
  size_t len;
  const char *v = crpc_metadata_get(md, key, &len);
  cr_assert_not_null(v, "no %s", key);
  cr_assert_str_eq(v, want, "%s", key);
}

/* The server's counters, through a unary call on |ch|. */
static Crpcstream__Stats stats_on(crpc_channel *ch) {
  Crpcstream__StatsRequest req = CRPCSTREAM__STATS_REQUEST__INIT;
  Crpcstream__Stats *reply = NULL, copy;
  crpc_status st;
  cr_assert_eq(
      crpcstream__streams__get_stats__call(ch, &req, &reply, opts, &st),
      CRPC_OK, "GetStats: %s", st.message);
  copy = *reply;
  crpcstream__stats__free_unpacked(reply, NULL);
  return copy;
}

/* Polls the server's counters until |is_done| says so or |within_ms|
 * passed; returns the last stats seen. */
static Crpcstream__Stats wait_stats(bool (*is_done)(const Crpcstream__Stats *),
                                    int within_ms) {
  int64_t until = crpc_now_ms() + within_ms;
  for (;;) {
    Crpcstream__Stats s = stats_on(channel);
    if (is_done(&s) || crpc_now_ms() >= until)
      return s;
    sleep_ms(10);
  }
}

static bool saw_cancel(const Crpcstream__Stats *s) {
  return s->cancelled_seen + s->other_failures > 0;
}

/*
 * When the client's deadline ends a call, the handler may see either code:
 * DEADLINE_EXCEEDED from the server's own timer, or CANCELLED when the
 * client's RST_STREAM arrives first (the server's deadline starts when the
 * headers arrive, a little after the client's).
 */
static bool saw_deadline(const Crpcstream__Stats *s) {
  return s->deadline_seen + s->cancelled_seen + s->other_failures > 0;
}

static bool read_two(const Crpcstream__Stats *s) { return s->read >= 2; }

static void assert_payload(const Crpcstream__Item *item, size_t len,
                           uint8_t byte) {
  cr_assert_eq(item->payload.len, len, "item %d: %zu bytes, not %zu", item->seq,
               item->payload.len, len);
  for (size_t i = 0; i < len; i++)
    if (item->payload.data[i] != byte)
      cr_assert_fail("item %d: byte %zu is %#x", item->seq, i,
                     item->payload.data[i]);
}

/* Joins |t| within |ms|, else fails the test. */
static void *join_within(pthread_t t, int ms) {
  struct timespec until;
  void *result = NULL;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += ms / 1000;
  until.tv_nsec += (ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  cr_assert_eq(pthread_timedjoin_np(t, &result, &until), 0,
               "thread still running after %d ms", ms);
  return result;
}

/* crpc_call_cancel() from another thread, after a delay. */
struct canceller {
  crpc_call *call;
  int delay_ms;
  pthread_t thread;
};

static void *cancel_later(void *arg) {
  struct canceller *c = arg;
  sleep_ms(c->delay_ms);
  crpc_call_cancel(c->call);
  return NULL;
}

static void cancel_from_thread(struct canceller *c, crpc_call *call,
                               int delay_ms) {
  c->call = call;
  c->delay_ms = delay_ms;
  cr_assert_eq(pthread_create(&c->thread, NULL, cancel_later, c), 0);
}

/* Each kind end to end. */

Test(streaming, server_streaming_delivers_every_item_then_ok) {
  crpc_metadata *headers, *trailers;
  cr_assert_eq(crpc_metadata_new(&headers), CRPC_OK);
  cr_assert_eq(crpc_metadata_new(&trailers), CRPC_OK);
  crpc_call_opts *o = opts_new(CALL_TIMEOUT_MS, headers, trailers);
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item;
  crpc_call *call;
  crpc_status st;

  req.count = 10;
  req.size = 100;
  cr_assert_eq(crpcstream__streams__fetch__start(channel, &req, o, &call),
               CRPC_OK);
  for (int i = 0; i < 10; i++) {
    cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
    cr_assert_not_null(item, "stream ended after %d items", i);
    cr_assert_eq(item->seq, i);
    assert_payload(item, 100, 'f');
    crpcstream__item__free_unpacked(item, NULL);
  }
  cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
  cr_assert_null(item, "an item after the last");
  /* The end of the stream stays the end. */
  cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
  cr_assert_null(item);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_OK, "%s", st.message);
  cr_assert_eq(st.code, CRPC_OK);
  crpc_call_free(call);
  assert_md(headers, "x-method", "fetch");
  assert_md(trailers, "x-items-sent", "10");
  cr_assert_null(crpc_metadata_get(headers, "x-items-sent", NULL),
                 "a trailer among the headers");
  crpc_call_opts_free(o);
  crpc_metadata_free(headers);
  crpc_metadata_free(trailers);
}

Test(streaming, server_streaming_with_no_items_is_just_a_status) {
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item;
  crpc_call *call;
  cr_assert_eq(crpcstream__streams__fetch__start(channel, &req, opts, &call),
               CRPC_OK);
  cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
  cr_assert_null(item);
  cr_assert_eq(crpc_call_finish(call, NULL), CRPC_OK);
  crpc_call_free(call);
}

Test(streaming,
     client_streaming_reads_every_item_and_replies_after_half_close) {
  crpc_metadata *trailers;
  cr_assert_eq(crpc_metadata_new(&trailers), CRPC_OK);
  crpc_call_opts *o = opts_new(CALL_TIMEOUT_MS, NULL, trailers);
  static uint8_t buf[70000];
  Crpcstream__Summary *summary = NULL;
  crpc_call *call;
  crpc_status st;
  int64_t bytes = 0;

  cr_assert_eq(crpcstream__streams__upload__start(channel, o, &call), CRPC_OK);
  for (int i = 0; i < 20; i++) {
    Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
    item.seq = i;
    item.payload.data = buf;
    item.payload.len = (size_t)i * 3500; /* 0 .. 66500: over one frame */
    bytes += (int64_t)item.payload.len;
    cr_assert_eq(crpcstream__streams__upload__send(call, &item), CRPC_OK);
  }
  cr_assert_eq(crpcstream__streams__upload__finish(call, &summary, &st),
               CRPC_OK, "%s", st.message);
  cr_assert_eq(summary->count, 20);
  cr_assert_eq(summary->bytes, bytes);
  crpcstream__summary__free_unpacked(summary, NULL);
  crpc_call_free(call);
  assert_md(trailers, "x-items-read", "20");
  crpc_call_opts_free(o);
  crpc_metadata_free(trailers);
}

Test(streaming, client_streaming_with_no_items_still_gets_its_reply) {
  Crpcstream__Summary *summary = NULL;
  crpc_call *call;
  crpc_status st;
  cr_assert_eq(crpcstream__streams__upload__start(channel, opts, &call),
               CRPC_OK);
  cr_assert_eq(crpcstream__streams__upload__finish(call, &summary, &st),
               CRPC_OK, "%s", st.message);
  cr_assert_eq(summary->count, 0);
  crpcstream__summary__free_unpacked(summary, NULL);
  crpc_call_free(call);
}

Test(streaming, bidi_echoes_in_lockstep_and_writes_after_the_half_close) {
  crpc_metadata *trailers;
  cr_assert_eq(crpc_metadata_new(&trailers), CRPC_OK);
  crpc_call_opts *o = opts_new(CALL_TIMEOUT_MS, NULL, trailers);
  Crpcstream__Item *got;
  crpc_call *call;
  crpc_status st;

  cr_assert_eq(crpcstream__streams__chat__start(channel, o, &call), CRPC_OK);
  for (int i = 0; i < 5; i++) {
    Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
    char text[16];
    item.seq = 100 + i;
    item.payload.len = (size_t)snprintf(text, sizeof(text), "ping %d", i);
    item.payload.data = (uint8_t *)text;
    cr_assert_eq(crpcstream__streams__chat__send(call, &item), CRPC_OK);
    /* The echo comes back before we send the next one. */
    cr_assert_eq(crpcstream__streams__chat__recv(call, &got), CRPC_OK);
    cr_assert_not_null(got);
    cr_assert_eq(got->seq, 100 + i);
    cr_assert_eq(got->payload.len, item.payload.len);
    cr_assert(memcmp(got->payload.data, text, item.payload.len) == 0);
    crpcstream__item__free_unpacked(got, NULL);
  }
  cr_assert_eq(crpc_call_close_send(call), CRPC_OK);
  /* The server's read saw the half-close and it still writes. */
  cr_assert_eq(crpcstream__streams__chat__recv(call, &got), CRPC_OK);
  cr_assert_not_null(got, "no item after the half-close");
  cr_assert_eq(got->seq, 5);
  crpcstream__item__free_unpacked(got, NULL);
  cr_assert_eq(crpcstream__streams__chat__recv(call, &got), CRPC_OK);
  cr_assert_null(got);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_OK, "%s", st.message);
  crpc_call_free(call);
  assert_md(trailers, "x-items-read", "5");
  crpc_call_opts_free(o);
  crpc_metadata_free(trailers);
}

Test(streaming, bidi_half_close_before_any_message) {
  Crpcstream__Item *got;
  crpc_call *call;
  cr_assert_eq(crpcstream__streams__chat__start(channel, opts, &call), CRPC_OK);
  cr_assert_eq(crpc_call_close_send(call), CRPC_OK);
  cr_assert_eq(crpcstream__streams__chat__recv(call, &got), CRPC_OK);
  cr_assert_not_null(got);
  cr_assert_eq(got->seq, 0);
  crpcstream__item__free_unpacked(got, NULL);
  cr_assert_eq(crpcstream__streams__chat__recv(call, &got), CRPC_OK);
  cr_assert_null(got);
  cr_assert_eq(crpc_call_finish(call, NULL), CRPC_OK);
  crpc_call_free(call);
}

Test(streaming, sending_after_the_half_close_is_refused) {
  Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
  crpc_call *call;
  cr_assert_eq(crpcstream__streams__chat__start(channel, opts, &call), CRPC_OK);
  cr_assert_eq(crpc_call_close_send(call), CRPC_OK);
  cr_assert_neq(crpcstream__streams__chat__send(call, &item), CRPC_OK);
  cr_assert_eq(crpc_call_finish(call, NULL), CRPC_OK);
  crpc_call_free(call);
}

Test(streaming, unary_method_next_to_the_streams) {
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item = NULL;
  crpc_status st;
  req.count = 7;
  req.size = 1000;
  cr_assert_eq(
      crpcstream__streams__unary__call(channel, &req, &item, opts, &st),
      CRPC_OK, "%s", st.message);
  cr_assert_eq(item->seq, 7);
  assert_payload(item, 1000, 'u');
  crpcstream__item__free_unpacked(item, NULL);
  req.code = CRPC_NOT_FOUND;
  req.message = "nothing here";
  item = NULL;
  cr_assert_eq(
      crpcstream__streams__unary__call(channel, &req, &item, opts, &st),
      CRPC_NOT_FOUND);
  cr_assert_str_eq(st.message, "nothing here");
  cr_assert_null(item);
}

/* Final status and trailing metadata. */

Test(streaming, server_error_after_items_keeps_the_items_status_and_trailers) {
  crpc_metadata *headers, *trailers;
  cr_assert_eq(crpc_metadata_new(&headers), CRPC_OK);
  cr_assert_eq(crpc_metadata_new(&trailers), CRPC_OK);
  crpc_call_opts *o = opts_new(CALL_TIMEOUT_MS, headers, trailers);
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item;
  crpc_call *call;
  crpc_status st;
  crpc_code code;
  int n = 0;

  req.count = 10;
  req.size = 10;
  req.fail_after = 4;
  req.code = CRPC_ABORTED;
  req.message = "stopped at 4";
  cr_assert_eq(crpcstream__streams__fetch__start(channel, &req, o, &call),
               CRPC_OK);
  while ((code = crpcstream__streams__fetch__recv(call, &item)) == CRPC_OK &&
         item != NULL) {
    cr_assert_eq(item->seq, n);
    n++;
    crpcstream__item__free_unpacked(item, NULL);
  }
  cr_assert_eq(n, 4, "items before the error");
  cr_assert_eq(code, CRPC_ABORTED, "recv gave %s", crpc_code_name(code));
  cr_assert_null(item);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_ABORTED);
  cr_assert_eq(st.code, CRPC_ABORTED);
  cr_assert_str_eq(st.message, "stopped at 4");
  crpc_call_free(call);
  assert_md(headers, "x-method", "fetch");
  assert_md(trailers, "x-items-sent", "4");
  crpc_call_opts_free(o);
  crpc_metadata_free(headers);
  crpc_metadata_free(trailers);
}

Test(streaming, client_streaming_handler_failing_midway_is_the_status) {
  crpc_call_opts *o = opts_new(CALL_TIMEOUT_MS, NULL, NULL);
  Crpcstream__Summary *summary = NULL;
  crpc_call *call;
  crpc_status st;
  add_md_int(o, "x-fail-after", 3);
  add_md_int(o, "x-code", CRPC_FAILED_PRECONDITION);
  cr_assert_eq(crpcstream__streams__upload__start(channel, o, &call), CRPC_OK);
  for (int i = 0; i < 10; i++) {
    Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
    item.seq = i;
    crpc_code code = crpcstream__streams__upload__send(call, &item);
    /* Once the status is in, sends give it. */
    cr_assert(code == CRPC_OK || code == CRPC_FAILED_PRECONDITION, "%s",
              crpc_code_name(code));
  }
  cr_assert_eq(crpcstream__streams__upload__finish(call, &summary, &st),
               CRPC_FAILED_PRECONDITION, "%s: %s", crpc_code_name(st.code),
               st.message);
  cr_assert_str_eq(st.message, "failed after 3 items");
  cr_assert_null(summary);
  crpc_call_free(call);
  crpc_call_opts_free(o);
}

/* Client cancellation. */

Test(streaming, client_cancel_mid_fetch_fails_the_handlers_write) {
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item;
  struct canceller c;
  crpc_call *call;
  crpc_status st;
  crpc_code code;
  int n = 0;

  req.count = 1000;
  req.size = 10;
  req.sleep_ms = 20;
  cr_assert_eq(crpcstream__streams__fetch__start(channel, &req, opts, &call),
               CRPC_OK);
  for (; n < 3; n++) {
    cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
    cr_assert_not_null(item);
    crpcstream__item__free_unpacked(item, NULL);
  }
  /* Cancel while this thread waits in recv. */
  int64_t start = crpc_now_ms();
  cancel_from_thread(&c, call, 100);
  while ((code = crpcstream__streams__fetch__recv(call, &item)) == CRPC_OK &&
         item != NULL) {
    n++;
    crpcstream__item__free_unpacked(item, NULL);
  }
  int64_t took = crpc_now_ms() - start;
  join_within(c.thread, 5000);
  cr_assert_eq(code, CRPC_CANCELLED, "recv gave %s", crpc_code_name(code));
  cr_assert(took < 1000, "cancel took %lld ms", (long long)took);
  cr_assert(n < 100, "%d items: the stream went on", n);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_CANCELLED);
  crpc_call_free(call);

  Crpcstream__Stats s = wait_stats(saw_cancel, 2000);
  cr_assert_eq(s.cancelled_seen, 1,
               "handler's write: %d CANCELLED, %d other (last %s)",
               s.cancelled_seen, s.other_failures,
               crpc_code_name((crpc_code)s.last_failure_code));
  cr_assert_eq(s.other_failures, 0);
}

Test(streaming, client_cancel_fails_the_upload_handlers_read) {
  crpc_call *call;
  crpc_status st;
  Crpcstream__Summary *summary = NULL;
  cr_assert_eq(crpcstream__streams__upload__start(channel, opts, &call),
               CRPC_OK);
  for (int i = 0; i < 2; i++) {
    Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
    item.seq = i;
    cr_assert_eq(crpcstream__streams__upload__send(call, &item), CRPC_OK);
  }
  /* The handler has read both and waits for the third. */
  Crpcstream__Stats s = wait_stats(read_two, 2000);
  cr_assert_eq(s.read, 2);
  struct canceller c;
  cancel_from_thread(&c, call, 0);
  join_within(c.thread, 5000);
  cr_assert_eq(crpcstream__streams__upload__finish(call, &summary, &st),
               CRPC_CANCELLED, "%s", crpc_code_name(st.code));
  cr_assert_null(summary);
  crpc_call_free(call);

  s = wait_stats(saw_cancel, 2000);
  cr_assert_eq(s.cancelled_seen, 1,
               "handler's read: %d CANCELLED, %d other (last %s)",
               s.cancelled_seen, s.other_failures,
               crpc_code_name((crpc_code)s.last_failure_code));
  cr_assert_eq(s.other_failures, 0);
}

Test(streaming, client_cancel_mid_chat_wakes_both_sides) {
  Crpcstream__Item item = CRPCSTREAM__ITEM__INIT, *got;
  struct canceller c;
  crpc_call *call;
  cr_assert_eq(crpcstream__streams__chat__start(channel, opts, &call), CRPC_OK);
  cr_assert_eq(crpcstream__streams__chat__send(call, &item), CRPC_OK);
  cr_assert_eq(crpcstream__streams__chat__recv(call, &got), CRPC_OK);
  cr_assert_not_null(got);
  crpcstream__item__free_unpacked(got, NULL);
  /* Both sides now wait for the other; cancel from another thread. */
  int64_t start = crpc_now_ms();
  cancel_from_thread(&c, call, 100);
  cr_assert_eq(crpcstream__streams__chat__recv(call, &got), CRPC_CANCELLED);
  cr_assert_null(got);
  cr_assert(crpc_now_ms() - start < 1000);
  join_within(c.thread, 5000);
  /* Sending on a cancelled call gives its status. */
  cr_assert_eq(crpcstream__streams__chat__send(call, &item), CRPC_CANCELLED);
  cr_assert_eq(crpc_call_finish(call, NULL), CRPC_CANCELLED);
  crpc_call_free(call);

  Crpcstream__Stats s = wait_stats(saw_cancel, 2000);
  cr_assert_eq(s.cancelled_seen, 1, "%d other failures (last %s)",
               s.other_failures,
               crpc_code_name((crpc_code)s.last_failure_code));
  cr_assert_eq(s.other_failures, 0);
}

Test(streaming, freeing_an_unfinished_call_cancels_it) {
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item;
  crpc_call *call;
  req.count = 1000;
  req.sleep_ms = 20;
  cr_assert_eq(crpcstream__streams__fetch__start(channel, &req, opts, &call),
               CRPC_OK);
  cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
  cr_assert_not_null(item);
  crpcstream__item__free_unpacked(item, NULL);
  crpc_call_free(call);
  Crpcstream__Stats s = wait_stats(saw_cancel, 2000);
  cr_assert_eq(s.cancelled_seen, 1);
}

/* Large messages: 3 MiB each way, under the default 4 MiB limit. */

Test(streaming, three_mib_items_from_the_server) {
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item;
  crpc_call *call;
  crpc_status st;
  req.count = 3;
  req.size = 3 * MIB;
  cr_assert_eq(crpcstream__streams__fetch__start(channel, &req, opts, &call),
               CRPC_OK);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
    cr_assert_not_null(item);
    cr_assert_eq(item->seq, i);
    assert_payload(item, 3 * MIB, 'f');
    crpcstream__item__free_unpacked(item, NULL);
  }
  cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
  cr_assert_null(item);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_OK, "%s", st.message);
  crpc_call_free(call);
}

Test(streaming, three_mib_items_to_the_server) {
  uint8_t *buf = malloc(3 * MIB);
  Crpcstream__Summary *summary = NULL;
  crpc_call *call;
  crpc_status st;
  cr_assert_not_null(buf);
  memset(buf, 'c', 3 * MIB);
  cr_assert_eq(crpcstream__streams__upload__start(channel, opts, &call),
               CRPC_OK);
  for (int i = 0; i < 3; i++) {
    Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
    item.seq = i;
    item.payload.data = buf;
    item.payload.len = 3 * MIB;
    cr_assert_eq(crpcstream__streams__upload__send(call, &item), CRPC_OK);
  }
  cr_assert_eq(crpcstream__streams__upload__finish(call, &summary, &st),
               CRPC_OK, "%s", st.message);
  cr_assert_eq(summary->count, 3);
  cr_assert_eq(summary->bytes, 9 * MIB);
  crpcstream__summary__free_unpacked(summary, NULL);
  crpc_call_free(call);
  free(buf);
}

Test(streaming, three_mib_items_both_ways_on_one_bidi_call) {
  uint8_t *buf = malloc(3 * MIB);
  Crpcstream__Item *got;
  crpc_call *call;
  crpc_status st;
  cr_assert_not_null(buf);
  cr_assert_eq(crpcstream__streams__chat__start(channel, opts, &call), CRPC_OK);
  for (int i = 0; i < 3; i++) {
    Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
    memset(buf, 'a' + i, 3 * MIB);
    item.seq = i;
    item.payload.data = buf;
    item.payload.len = 3 * MIB;
    cr_assert_eq(crpcstream__streams__chat__send(call, &item), CRPC_OK);
    cr_assert_eq(crpcstream__streams__chat__recv(call, &got), CRPC_OK);
    cr_assert_not_null(got);
    cr_assert_eq(got->seq, i);
    assert_payload(got, 3 * MIB, (uint8_t)('a' + i));
    crpcstream__item__free_unpacked(got, NULL);
  }
  cr_assert_eq(crpc_call_close_send(call), CRPC_OK);
  cr_assert_eq(crpcstream__streams__chat__recv(call, &got), CRPC_OK);
  cr_assert_not_null(got);
  cr_assert_eq(got->seq, 3);
  crpcstream__item__free_unpacked(got, NULL);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_OK, "%s", st.message);
  crpc_call_free(call);
  free(buf);
}

Test(streaming, item_over_the_client_limit_is_resource_exhausted) {
  crpc_call_opts *o = opts_new(CALL_TIMEOUT_MS, NULL, NULL);
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item;
  crpc_call *call;
  crpc_status st;
  crpc_call_opts_set_max_recv_len(o, 64 * 1024);
  req.count = 2;
  req.size = 100 * 1024;
  cr_assert_eq(crpcstream__streams__fetch__start(channel, &req, o, &call),
               CRPC_OK);
  cr_assert_eq(crpcstream__streams__fetch__recv(call, &item),
               CRPC_RESOURCE_EXHAUSTED);
  cr_assert_null(item);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_RESOURCE_EXHAUSTED, "%s",
               st.message);
  crpc_call_free(call);
  crpc_call_opts_free(o);
}

/* A streamed request over the server's limit ends the call with
 * RESOURCE_EXHAUSTED, as a unary one does. */
Test(streaming, item_over_the_server_limit_is_resource_exhausted) {
  uint8_t *buf = calloc(1, 5 * MIB);
  Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
  Crpcstream__Summary *summary = NULL;
  crpc_call *call;
  crpc_status st;
  cr_assert_not_null(buf);
  cr_assert_eq(crpcstream__streams__upload__start(channel, opts, &call),
               CRPC_OK);
  item.payload.data = buf;
  item.payload.len = 5 * MIB; /* over the default 4 MiB */
  crpc_code code = crpcstream__streams__upload__send(call, &item);
  cr_assert(code == CRPC_OK || code == CRPC_RESOURCE_EXHAUSTED, "%s",
            crpc_code_name(code));
  cr_assert_eq(crpcstream__streams__upload__finish(call, &summary, &st),
               CRPC_RESOURCE_EXHAUSTED, "%s: %s", crpc_code_name(st.code),
               st.message);
  cr_assert_null(summary);
  crpc_call_free(call);
  free(buf);
}

/* 1,000 concurrent server-streaming calls on one channel. */

#define FETCH_THREADS 20
#define FETCHES_PER_THREAD 50
#define FETCH_ITEMS 5

static pthread_barrier_t all_started;

/* Starts FETCHES_PER_THREAD calls, waits until every thread has, then
 * reads them all. Returns a description of the first failure, or NULL. */
static void *fetch_many(void *arg) {
  static char errors[FETCH_THREADS][128];
  int id = *(int *)arg;
  crpc_call *calls[FETCHES_PER_THREAD] = {0};
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  char *failed = NULL;

  req.count = FETCH_ITEMS;
  req.size = 64;
  req.sleep_ms = 10; /* so that the calls overlap on the server too */
  for (int i = 0; i < FETCHES_PER_THREAD && failed == NULL; i++) {
    crpc_code code =
        crpcstream__streams__fetch__start(channel, &req, opts, &calls[i]);
    if (code != CRPC_OK) {
      calls[i] = NULL;
      snprintf(errors[id], sizeof(errors[id]), "start %d: %s", i,
               crpc_code_name(code));
      failed = errors[id];
    }
  }
  pthread_barrier_wait(&all_started);
  for (int i = 0; i < FETCHES_PER_THREAD && failed == NULL; i++) {
    Crpcstream__Item *item;
    crpc_status st;
    int n = 0;
    crpc_code code;
    while ((code = crpcstream__streams__fetch__recv(calls[i], &item)) ==
               CRPC_OK &&
           item != NULL) {
      if (item->seq != n || item->payload.len != 64)
        code = CRPC_DATA_LOSS;
      crpcstream__item__free_unpacked(item, NULL);
      if (code != CRPC_OK)
        break;
      n++;
    }
    if (code == CRPC_OK)
      code = crpc_call_finish(calls[i], &st);
    if (code != CRPC_OK || n != FETCH_ITEMS) {
      snprintf(errors[id], sizeof(errors[id]), "call %d: %s after %d items", i,
               crpc_code_name(code), n);
      failed = errors[id];
    }
  }
  for (int i = 0; i < FETCHES_PER_THREAD; i++)
    crpc_call_free(calls[i]);
  return failed;
}

Test(streaming_long, thousand_concurrent_fetches_on_one_channel) {
  pthread_t threads[FETCH_THREADS];
  int ids[FETCH_THREADS];
  pthread_barrier_init(&all_started, NULL, FETCH_THREADS);
  for (int i = 0; i < FETCH_THREADS; i++) {
    ids[i] = i;
    cr_assert_eq(pthread_create(&threads[i], NULL, fetch_many, &ids[i]), 0);
  }
  for (int i = 0; i < FETCH_THREADS; i++) {
    char *failed = join_within(threads[i], 45000);
    cr_assert_null(failed, "thread %d: %s", i, failed);
  }
  pthread_barrier_destroy(&all_started);
}

/* Deadlines cover the whole stream, not one message. */

Test(streaming, deadline_ends_a_server_stream_that_keeps_sending) {
  crpc_call_opts *o = opts_new(300, NULL, NULL);
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item;
  crpc_call *call;
  crpc_code code;
  int n = 0;

  /* An item every 50 ms: each one is well within the deadline. */
  req.count = 100;
  req.sleep_ms = 50;
  int64_t start = crpc_now_ms();
  cr_assert_eq(crpcstream__streams__fetch__start(channel, &req, o, &call),
               CRPC_OK);
  while ((code = crpcstream__streams__fetch__recv(call, &item)) == CRPC_OK &&
         item != NULL) {
    n++;
    crpcstream__item__free_unpacked(item, NULL);
  }
  int64_t took = crpc_now_ms() - start;
  cr_assert_eq(code, CRPC_DEADLINE_EXCEEDED, "%s", crpc_code_name(code));
  cr_assert(took >= 295 && took < 1000, "took %lld ms", (long long)took);
  cr_assert(n >= 1 && n <= 6, "%d items in 300 ms", n);
  cr_assert_eq(crpc_call_finish(call, NULL), CRPC_DEADLINE_EXCEEDED);
  crpc_call_free(call);
  crpc_call_opts_free(o);

  /* The handler's next write fails. */
  Crpcstream__Stats s = wait_stats(saw_deadline, 2000);
  cr_assert_eq(s.deadline_seen + s.cancelled_seen, 1,
               "%d other failures (last %s)", s.other_failures,
               crpc_code_name((crpc_code)s.last_failure_code));
  cr_assert_eq(s.other_failures, 0);
}

Test(streaming, deadline_ends_an_upload_the_server_never_answers) {
  crpc_call_opts *o = opts_new(300, NULL, NULL);
  Crpcstream__Summary *summary = NULL;
  Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
  crpc_call *call;
  crpc_status st;
  add_md_int(o, "x-hold-ms", 5000);
  int64_t start = crpc_now_ms();
  cr_assert_eq(crpcstream__streams__upload__start(channel, o, &call), CRPC_OK);
  cr_assert_eq(crpcstream__streams__upload__send(call, &item), CRPC_OK);
  cr_assert_eq(crpcstream__streams__upload__finish(call, &summary, &st),
               CRPC_DEADLINE_EXCEEDED, "%s", crpc_code_name(st.code));
  int64_t took = crpc_now_ms() - start;
  cr_assert(took >= 295 && took < 1000, "took %lld ms", (long long)took);
  cr_assert_null(summary);
  crpc_call_free(call);
  crpc_call_opts_free(o);

  Crpcstream__Stats s = wait_stats(saw_deadline, 2000);
  cr_assert_eq(s.deadline_seen + s.cancelled_seen, 1,
               "%d other failures (last %s)", s.other_failures,
               crpc_code_name((crpc_code)s.last_failure_code));
  cr_assert_eq(s.other_failures, 0);
}

Test(streaming, deadline_ends_a_quiet_bidi_call) {
  crpc_call_opts *o = opts_new(200, NULL, NULL);
  Crpcstream__Item *got;
  crpc_call *call;
  int64_t start = crpc_now_ms();
  cr_assert_eq(crpcstream__streams__chat__start(channel, o, &call), CRPC_OK);
  cr_assert_eq(crpcstream__streams__chat__recv(call, &got),
               CRPC_DEADLINE_EXCEEDED);
  int64_t took = crpc_now_ms() - start;
  cr_assert(took >= 195 && took < 900, "took %lld ms", (long long)took);
  cr_assert_eq(crpc_call_finish(call, NULL), CRPC_DEADLINE_EXCEEDED);
  crpc_call_free(call);
  crpc_call_opts_free(o);
}

/* More than one request message where the method takes one. */

static void send_two_messages(const crpc_method_desc *method) {
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  crpc_call *call;
  crpc_status st;
  cr_assert_eq(crpc_call_start(channel, method, opts, &call), CRPC_OK);
  cr_assert_eq(crpc_call_send(call, &req.base), CRPC_OK);
  /* The second send may already see the status. */
  crpc_code code = crpc_call_send(call, &req.base);
  cr_assert(code == CRPC_OK || code == CRPC_UNIMPLEMENTED, "%s",
            crpc_code_name(code));
  crpc_call_close_send(call);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_UNIMPLEMENTED, "%s: %s",
               crpc_code_name(st.code), st.message);
  cr_assert(strstr(st.message, "more than one request") != NULL, "%s",
            st.message);
  crpc_call_free(call);
}

Test(streaming, two_requests_on_a_unary_method_are_unimplemented) {
  const crpc_method_desc *unary = &crpcstream__streams__crpc_service.methods[3];
  cr_assert_str_eq(unary->path, "/crpcstream.Streams/Unary");
  send_two_messages(unary);
  /* The channel still works. */
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item = NULL;
  cr_assert_eq(
      crpcstream__streams__unary__call(channel, &req, &item, opts, NULL),
      CRPC_OK);
  crpcstream__item__free_unpacked(item, NULL);
}

Test(streaming, two_requests_on_a_server_streaming_method_are_unimplemented) {
  const crpc_method_desc *fetch = &crpcstream__streams__crpc_service.methods[0];
  cr_assert_str_eq(fetch->path, "/crpcstream.Streams/Fetch");
  send_two_messages(fetch);
}

/*
 * Flow control. A receiver that does not read must stop the sender after
 * about a window's worth: 32 MiB is far above any window a gRPC runtime
 * advertises by default, and far below the 200 MiB offered.
 */

#define FLOW_ITEMS 200
#define FLOW_BOUND 32
#define STALL_MS 2000

/* needs application-paced receive windows */
Test(streaming_long, server_writer_blocks_while_the_client_reads_nothing) {
  crpc_call_opts *o = opts_new(40000, NULL, NULL);
  Crpcstream__Req req = CRPCSTREAM__REQ__INIT;
  Crpcstream__Item *item;
  crpc_channel *side;
  crpc_call *call;
  crpc_status st;

  req.count = FLOW_ITEMS;
  req.size = MIB;
  cr_assert_eq(crpcstream__streams__fetch__start(channel, &req, o, &call),
               CRPC_OK);
  sleep_ms(STALL_MS);
  /* Ask on another connection: this one's window is the point. */
  cr_assert_eq(crpc_channel_new(&side, target, NULL), CRPC_OK);
  Crpcstream__Stats s = stats_on(side);
  crpc_channel_free(side);
  cr_assert(s.written < FLOW_BOUND,
            "the handler wrote %d of %d MiB while the client read nothing",
            s.written, FLOW_ITEMS);

  int64_t start = crpc_now_ms();
  for (int i = 0; i < FLOW_ITEMS; i++) {
    cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
    cr_assert_not_null(item, "stream ended after %d items", i);
    cr_assert_eq(item->seq, i);
    cr_assert_eq(item->payload.len, (size_t)MIB);
    crpcstream__item__free_unpacked(item, NULL);
  }
  cr_assert_eq(crpcstream__streams__fetch__recv(call, &item), CRPC_OK);
  cr_assert_null(item);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_OK, "%s", st.message);
  cr_assert(crpc_now_ms() - start < 30000);
  crpc_call_free(call);
  crpc_call_opts_free(o);
}

struct uploader {
  crpc_call *call;
  atomic_int sent;
  crpc_code code;
};

static void *upload_many(void *arg) {
  struct uploader *u = arg;
  uint8_t *buf = calloc(1, MIB);
  u->code = buf != NULL ? CRPC_OK : CRPC_RESOURCE_EXHAUSTED;
  for (int i = 0; i < FLOW_ITEMS && u->code == CRPC_OK; i++) {
    Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;
    item.seq = i;
    item.payload.data = buf;
    item.payload.len = MIB;
    u->code = crpcstream__streams__upload__send(u->call, &item);
    if (u->code == CRPC_OK)
      atomic_fetch_add(&u->sent, 1);
  }
  free(buf);
  return NULL;
}

/* needs application-paced receive windows */
Test(streaming_long, client_sender_blocks_while_the_handler_reads_nothing) {
  crpc_call_opts *o = opts_new(40000, NULL, NULL);
  Crpcstream__Summary *summary = NULL;
  struct uploader u = {.code = CRPC_OK};
  pthread_t thread;
  crpc_status st;

  atomic_init(&u.sent, 0);
  add_md_int(o, "x-hold-ms", STALL_MS + 1000);
  cr_assert_eq(crpcstream__streams__upload__start(channel, o, &u.call),
               CRPC_OK);
  cr_assert_eq(pthread_create(&thread, NULL, upload_many, &u), 0);
  sleep_ms(STALL_MS);
  int sent = atomic_load(&u.sent);
  cr_assert(sent < FLOW_BOUND,
            "the client sent %d of %d MiB while the handler read nothing", sent,
            FLOW_ITEMS);

  join_within(thread, 30000);
  cr_assert_eq(u.code, CRPC_OK, "send: %s", crpc_code_name(u.code));
  cr_assert_eq(atomic_load(&u.sent), FLOW_ITEMS);
  cr_assert_eq(crpcstream__streams__upload__finish(u.call, &summary, &st),
               CRPC_OK, "%s", st.message);
  cr_assert_eq(summary->count, FLOW_ITEMS);
  cr_assert_eq(summary->bytes, (int64_t)FLOW_ITEMS * MIB);
  crpcstream__summary__free_unpacked(summary, NULL);
  crpc_call_free(u.call);
  crpc_call_opts_free(o);
}
