/*
 * tests/integration/retry_test.c: gRFC A6 retries against test_server
 * processes that fail on purpose; attempts are counted on the server.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "testsvc.crpc.h"

static test_proc server;
static crpc_channel *channel;

static void start_server(test_proc *p) {
  char path[512];
  snprintf(path, sizeof(path), "%s/tests/integration/test_server",
           test_builddir());
  char *argv[] = {path, NULL};
  cr_assert(test_proc_start(p, argv), "test_server did not start");
}

static void connect_with(const char *target, const char *config) {
  crpc_channel_opts *opts;
  crpc_status why;
  cr_assert_eq(crpc_channel_opts_new(&opts), CRPC_OK);
  if (config != NULL)
    cr_assert_eq(crpc_channel_opts_set_service_config(opts, config, &why),
                 CRPC_OK, "%s", why.message);
  cr_assert_eq(crpc_channel_new(&channel, target, opts), CRPC_OK);
  crpc_channel_opts_free(opts);
}

static void use_config(const char *config) {
  char target[32];
  start_server(&server);
  snprintf(target, sizeof(target), "127.0.0.1:%d", server.port);
  connect_with(target, config);
}

static void teardown(void) {
  crpc_channel_free(channel);
  channel = NULL;
  if (server.pid > 0)
    test_proc_stop(&server, SIGINT);
}

TestSuite(retry, .fini = teardown, .timeout = 30);

#define POLICY(attempts, backoff, codes)                                       \
  "{\"methodConfig\":[{\"name\":[{\"service\":\"crpctest.Test\"}],"            \
  "\"retryPolicy\":{\"maxAttempts\":" #attempts ",\"initialBackoff\":\"" backoff \
  "\",\"maxBackoff\":\"1s\",\"backoffMultiplier\":2,"                          \
  "\"retryableStatusCodes\":[" codes "]}}]}"

/* Calls Run with fault injection; returns the code. */
static crpc_code run(const char *key, int fail_first, int code,
                     const char *pushback, const crpc_call_opts *opts) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  ask.key = (char *)key;
  ask.fail_first = fail_first;
  ask.code = code;
  ask.pushback = (char *)(pushback != NULL ? pushback : "");
  crpc_code got = crpctest__test__run__call(channel, &ask, &answer, opts, NULL);
  if (answer != NULL)
    crpctest__answer__free_unpacked(answer, NULL);
  return got;
}

/* How many calls the server saw with |key|. */
static int attempts(const char *key) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  char text[32] = {0};
  int c, f, a = -1;
  ask.message = (char *)key;
  cr_assert_eq(crpctest__test__stats__call(channel, &ask, &answer, NULL, NULL),
               CRPC_OK);
  memcpy(text, answer->payload.data,
         answer->payload.len < sizeof(text) ? answer->payload.len : 31);
  cr_assert_eq(sscanf(text, "%d %d %d", &c, &f, &a), 3);
  crpctest__answer__free_unpacked(answer, NULL);
  return a;
}

Test(retry, fails_twice_then_succeeds) {
  use_config(POLICY(3, "0.01s", "\"UNAVAILABLE\""));
  cr_assert_eq(run("a", 2, 0, NULL, NULL), CRPC_OK);
  cr_assert_eq(attempts("a"), 3);
}

Test(retry, stops_at_max_attempts) {
  use_config(POLICY(2, "0.01s", "\"UNAVAILABLE\""));
  cr_assert_eq(run("b", 5, 0, NULL, NULL), CRPC_UNAVAILABLE);
  cr_assert_eq(attempts("b"), 2);
}

Test(retry, caps_max_attempts_at_five) {
  use_config(POLICY(9, "0.001s", "\"UNAVAILABLE\""));
  cr_assert_eq(run("c", 100, 0, NULL, NULL), CRPC_UNAVAILABLE);
  cr_assert_eq(attempts("c"), 5);
}

Test(retry, never_retries_other_codes) {
  use_config(POLICY(5, "0.01s", "\"UNAVAILABLE\""));
  cr_assert_eq(run("d", 3, CRPC_INVALID_ARGUMENT, NULL, NULL),
               CRPC_INVALID_ARGUMENT);
  cr_assert_eq(attempts("d"), 1);
}

Test(retry, status_codes_may_be_numbers) {
  use_config(POLICY(3, "0.01s", "14, 10"));
  cr_assert_eq(run("e", 2, CRPC_ABORTED, NULL, NULL), CRPC_OK);
  cr_assert_eq(attempts("e"), 3);
}

Test(retry, waits_as_long_as_the_server_pushes_back) {
  use_config(POLICY(3, "0.001s", "\"UNAVAILABLE\""));
  int64_t start = crpc_now_ms();
  cr_assert_eq(run("f", 1, 0, "300", NULL), CRPC_OK);
  int64_t took = crpc_now_ms() - start;
  cr_assert(took >= 300 && took < 2000, "took %lld ms", (long long)took);
  cr_assert_eq(attempts("f"), 2);
}

Test(retry, negative_pushback_stops_retrying) {
  use_config(POLICY(5, "0.001s", "\"UNAVAILABLE\""));
  cr_assert_eq(run("g", 3, 0, "-1", NULL), CRPC_UNAVAILABLE);
  cr_assert_eq(attempts("g"), 1);
}

Test(retry, deadline_expires_during_backoff) {
  crpc_call_opts *opts;
  use_config("{\"methodConfig\":[{\"name\":[{}],\"retryPolicy\":{"
             "\"maxAttempts\":5,\"initialBackoff\":\"10s\",\"maxBackoff\":"
             "\"10s\",\"backoffMultiplier\":1,\"retryableStatusCodes\":["
             "\"UNAVAILABLE\"]}}]}");
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 300);
  int64_t start = crpc_now_ms();
  crpc_code code = run("h", 100, 0, NULL, opts);
  int64_t took = crpc_now_ms() - start;
  /* Either the backoff would pass the deadline (the attempt's own status
   * stands) or the deadline fired while waiting: never later. */
  cr_assert(code == CRPC_UNAVAILABLE || code == CRPC_DEADLINE_EXCEEDED);
  cr_assert(took < 1000, "took %lld ms", (long long)took);
  cr_assert(attempts("h") <= 2);
  crpc_call_opts_free(opts);
}

Test(retry, throttling_stops_retries_of_a_failing_target) {
  /* 10 tokens, each failed attempt costs one, retries only above 5. */
  use_config("{\"methodConfig\":[{\"name\":[{\"service\":\"crpctest.Test\"}],"
             "\"retryPolicy\":{\"maxAttempts\":2,\"initialBackoff\":"
             "\"0.001s\",\"maxBackoff\":\"0.001s\",\"backoffMultiplier\":1,"
             "\"retryableStatusCodes\":[\"UNAVAILABLE\"]}}],"
             "\"retryThrottling\":{\"maxTokens\":10,\"tokenRatio\":0.1}}");
  for (int i = 0; i < 8; i++)
    cr_assert_eq(run("i", 1000, 0, NULL, NULL), CRPC_UNAVAILABLE);
  /* Tokens 10 -> 8 -> 6 (two retried calls, 2 attempts each), then 5
   * after the third call's first failure: from then on one attempt each.
   */
  int n = attempts("i");
  cr_assert(n >= 9 && n <= 12, "%d attempts for 8 calls", n);
  cr_assert(n < 16, "throttling did not stop retries");
}

Test(retry, idempotent_methods_retry_unavailable_by_default) {
  use_config(NULL);
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  ask.key = "j";
  ask.fail_first = 1;
  cr_assert_eq(crpctest__test__run_idempotent__call(channel, &ask, &answer,
                                                    NULL, NULL),
               CRPC_OK);
  crpctest__answer__free_unpacked(answer, NULL);
  cr_assert_eq(attempts("j"), 2);
  /* Run itself is not idempotent: no retry without a policy. */
  cr_assert_eq(run("k", 1, 0, NULL, NULL), CRPC_UNAVAILABLE);
  cr_assert_eq(attempts("k"), 1);
}

Test(retry, a_killed_server_is_skipped_for_the_next_address) {
  test_proc second;
  char target[64];
  start_server(&server);
  start_server(&second);
  snprintf(target, sizeof(target), "ipv4:127.0.0.1:%d,127.0.0.1:%d",
           server.port, second.port);
  connect_with(target, POLICY(3, "0.01s", "\"UNAVAILABLE\""));
  cr_assert_eq(run("l", 0, 0, NULL, NULL), CRPC_OK); /* on the first */
  test_proc_stop(&server, SIGKILL);
  for (int i = 0; i < 10; i++)
    cr_assert_eq(run("m", 0, 0, NULL, NULL), CRPC_OK, "call %d lost", i);
  test_proc_stop(&second, SIGINT);
}

Test(retry, wait_for_ready_waits_for_the_server) {
  /* Nobody listens at first: with wait-for-ready the call waits, and
   * succeeds once a server comes up on that port. */
  crpc_call_opts *opts;
  start_server(&server);
  int port = server.port;
  test_proc_stop(&server, SIGINT);
  char target[32], path[512], listen[64];
  snprintf(target, sizeof(target), "127.0.0.1:%d", port);
  connect_with(target, NULL);
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 5000);
  crpc_call_opts_set_wait_for_ready(opts, true);
  pid_t late = fork();
  if (late == 0) {
    usleep(300 * 1000);
    snprintf(path, sizeof(path), "%s/tests/integration/test_server",
             test_builddir());
    snprintf(listen, sizeof(listen), "--listen=127.0.0.1:%d", port);
    freopen("/dev/null", "w", stdout);
    execl(path, path, listen, (char *)NULL);
    _exit(127);
  }
  cr_assert_eq(run("n", 0, 0, NULL, opts), CRPC_OK);
  crpc_call_opts_free(opts);
  /* Without it the same call fails fast. */
  crpc_channel_free(channel);
  snprintf(target, sizeof(target), "127.0.0.1:1");
  connect_with(target, NULL);
  crpc_code fast = run("o", 0, 0, NULL, NULL);
  kill(late, SIGINT);
  waitpid(late, NULL, 0);
  cr_assert_eq(fast, CRPC_UNAVAILABLE);
}

/* A peer that answers every connection with SETTINGS and GOAWAY(last
 * stream 0): nothing it was sent reached an application. */
static void *goaway_peer(void *arg) {
  int listener = *(int *)arg;
  static const uint8_t frames[] = {
      0, 0, 0, 0x4, 0, 0, 0, 0, 0,                   /* SETTINGS */
      0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; /* GOAWAY */
  int fd = accept(listener, NULL, NULL);
  close(listener); /* a server that says GOAWAY is going away */
  if (fd < 0)
    return NULL;
  char buf[4096];
  if (read(fd, buf, sizeof(buf)) > 0 &&
      write(fd, frames, sizeof(frames)) == (ssize_t)sizeof(frames))
    while (read(fd, buf, sizeof(buf)) > 0)
      ;
  close(fd);
  return NULL;
}

Test(retry, streams_above_goaway_retry_transparently) {
  struct sockaddr_in sin = {.sin_family = AF_INET};
  socklen_t len = sizeof(sin);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(listener, (struct sockaddr *)&sin, sizeof(sin)), 0);
  cr_assert_eq(listen(listener, 4), 0);
  getsockname(listener, (struct sockaddr *)&sin, &len);
  pthread_t peer;
  pthread_create(&peer, NULL, goaway_peer, &listener);

  char target[64];
  start_server(&server);
  snprintf(target, sizeof(target), "ipv4:127.0.0.1:%d,127.0.0.1:%d",
           ntohs(sin.sin_port), server.port);
  connect_with(target, NULL); /* no retry policy at all */
  cr_assert_eq(run("p", 0, 0, NULL, NULL), CRPC_OK);
  cr_assert_eq(attempts("p"), 1);
  crpc_channel_free(channel);
  channel = NULL;
  pthread_join(peer, NULL);
}

/*
 * A raw nghttp2 server that answers every request with Trailers-Only
 * UNAVAILABLE and records the grpc-previous-rpc-attempts of each, to see
 * what retried attempts put on the wire.
 */
typedef struct wire_peer {
  int listener;
  bool headers_first; /* response headers, then the failing trailers */
  int seen[8]; /* grpc-previous-rpc-attempts per request, -1 if absent */
  int requests;
} wire_peer;

static int on_wire_header(nghttp2_session *s, const nghttp2_frame *frame,
                          const uint8_t *name, size_t namelen,
                          const uint8_t *value, size_t valuelen,
                          uint8_t flags, void *user_data) {
  wire_peer *peer = user_data;
  if (namelen == 26 && memcmp(name, "grpc-previous-rpc-attempts", 26) == 0 &&
      peer->requests < 8)
    peer->seen[peer->requests] = atoi((const char *)value);
  return 0;
}

static int on_wire_begin(nghttp2_session *s, const nghttp2_frame *frame,
                         void *user_data) {
  wire_peer *peer = user_data;
  if (frame->hd.type == NGHTTP2_HEADERS && peer->requests < 8)
    peer->seen[peer->requests] = -1;
  return 0;
}

static int on_wire_frame(nghttp2_session *s, const nghttp2_frame *frame,
                         void *user_data) {
  wire_peer *peer = user_data;
  if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
      (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS))
    return 0;
  nghttp2_nv nv[] = {
      {(uint8_t *)":status", (uint8_t *)"200", 7, 3, 0},
      {(uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16, 0},
      {(uint8_t *)"grpc-status", (uint8_t *)"14", 11, 2, 0}};
  if (peer->headers_first) {
    nghttp2_submit_headers(s, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NULL,
                           nv, 2, NULL);
    nghttp2_submit_headers(s, NGHTTP2_FLAG_END_STREAM, frame->hd.stream_id,
                           NULL, nv + 2, 1, NULL);
  } else {
    nghttp2_submit_response(s, frame->hd.stream_id, nv, 3, NULL);
  }
  peer->requests++;
  return 0;
}

static void *run_wire_peer(void *arg) {
  wire_peer *peer = arg;
  nghttp2_session_callbacks *cbs;
  nghttp2_session *session;
  int fd = accept(peer->listener, NULL, NULL);
  if (fd < 0)
    return NULL;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_wire_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_wire_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_wire_begin);
  nghttp2_session_server_new(&session, cbs, peer);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, NULL, 0);
  for (;;) {
    const uint8_t *out;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(session, &out)) > 0)
      if (write(fd, out, (size_t)n) != n)
        goto done;
    uint8_t buf[16384];
    n = read(fd, buf, sizeof(buf));
    if (n <= 0 || nghttp2_session_mem_recv(session, buf, (size_t)n) < 0)
      break;
  }
done:
  nghttp2_session_del(session);
  nghttp2_session_callbacks_del(cbs);
  close(fd);
  return NULL;
}

/* Starts a wire peer and a channel to it with a 3-attempt policy. */
static void start_wire_peer(wire_peer *peer, pthread_t *thread) {
  struct sockaddr_in sin = {.sin_family = AF_INET};
  socklen_t len = sizeof(sin);
  char target[32];
  peer->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(peer->listener, (struct sockaddr *)&sin, sizeof(sin)), 0);
  cr_assert_eq(listen(peer->listener, 4), 0);
  getsockname(peer->listener, (struct sockaddr *)&sin, &len);
  pthread_create(thread, NULL, run_wire_peer, peer);
  snprintf(target, sizeof(target), "127.0.0.1:%d", ntohs(sin.sin_port));
  connect_with(target, POLICY(3, "0.001s", "\"UNAVAILABLE\""));
}

static void stop_wire_peer(wire_peer *peer, pthread_t thread) {
  crpc_channel_free(channel);
  channel = NULL;
  pthread_join(thread, NULL);
  close(peer->listener);
}

Test(retry, retried_attempts_say_how_many_came_before) {
  wire_peer peer = {0};
  pthread_t thread;
  start_wire_peer(&peer, &thread);
  cr_assert_eq(run("q", 0, 0, NULL, NULL), CRPC_UNAVAILABLE);
  stop_wire_peer(&peer, thread);
  cr_assert_eq(peer.requests, 3);
  cr_assert_eq(peer.seen[0], -1, "a first attempt sends no count");
  cr_assert_eq(peer.seen[1], 1);
  cr_assert_eq(peer.seen[2], 2);
}

Test(retry, response_headers_commit_the_call) {
  wire_peer peer = {.headers_first = true};
  pthread_t thread;
  start_wire_peer(&peer, &thread);
  cr_assert_eq(run("r", 0, 0, NULL, NULL), CRPC_UNAVAILABLE);
  stop_wire_peer(&peer, thread);
  cr_assert_eq(peer.requests, 1, "a committed call was retried");
}

Test(retry, requests_over_the_retry_buffer_are_not_retried) {
  wire_peer peer = {0};
  pthread_t thread;
  static uint8_t big[300 * 1024];
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  start_wire_peer(&peer, &thread);
  ask.payload.data = big;
  ask.payload.len = sizeof(big);
  cr_assert_eq(crpctest__test__run__call(channel, &ask, &answer, NULL, NULL),
               CRPC_UNAVAILABLE);
  stop_wire_peer(&peer, thread);
  cr_assert_eq(peer.requests, 1, "a request past 256 KiB was retried");
}
