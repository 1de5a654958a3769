/*
 * tests/integration/unary_test.c: unary calls against test_server, a real
 * process on loopback.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "testsvc.crpc.h"

static test_proc server;
static crpc_channel *channel;

static void start_server(const char *extra) {
  char path[512], target[64];
  snprintf(path, sizeof(path), "%s/tests/integration/test_server",
           test_builddir());
  char *argv[] = {path, (char *)extra, NULL};
  cr_assert(test_proc_start(&server, argv), "test_server did not start");
  snprintf(target, sizeof(target), "127.0.0.1:%d", server.port);
  cr_assert_eq(crpc_channel_new(&channel, target, NULL), CRPC_OK);
}

static void setup(void) { start_server(NULL); }

static void teardown(void) {
  crpc_channel_free(channel);
  channel = NULL;
  if (server.pid > 0)
    test_proc_stop(&server, SIGINT);
}

TestSuite(unary, .init = setup, .fini = teardown, .timeout = 30);
/* Tests that start their own kind of server. */
TestSuite(unary_custom, .fini = teardown, .timeout = 30);

static crpc_code call_do(const Crpctest__Ask *ask, Crpctest__Answer **answer,
                         const crpc_call_opts *opts, crpc_status *st) {
  return crpctest__test__run__call(channel, ask, answer, opts, st);
}

Test(unary, echoes_payloads_of_every_size) {
  static const size_t sizes[] = {0, 1, 16, 1000, 65536, 1024 * 1024,
                                 4 * 1024 * 1024 - 64};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    Crpctest__Ask ask = CRPCTEST__ASK__INIT;
    Crpctest__Answer *answer = NULL;
    crpc_status st;
    uint8_t *buf = malloc(sizes[i] + 1);
    for (size_t j = 0; j < sizes[i]; j++)
      buf[j] = (uint8_t)(j * 7);
    ask.payload.data = buf;
    ask.payload.len = sizes[i];
    cr_assert_eq(call_do(&ask, &answer, NULL, &st), CRPC_OK, "%zu: %s",
                 sizes[i], st.message);
    cr_assert_eq(answer->payload.len, sizes[i]);
    cr_assert(sizes[i] == 0 ||
              memcmp(answer->payload.data, buf, sizes[i]) == 0);
    crpctest__answer__free_unpacked(answer, NULL);
    free(buf);
  }
}

/* Each request fits one DATA frame that ends its stream, whose bytes the
 * server gives back to the connection's window in batches (http2/h2_conn.c):
 * more than that 16 MiB window must still flow through one connection. */
Test(unary, requests_past_the_connection_window_keep_flowing) {
  enum { LEN = 15 * 1024, CALLS = 1200 }; /* 17.6 MiB */
  static uint8_t buf[LEN];
  memset(buf, 'w', sizeof(buf));
  for (int i = 0; i < CALLS; i++) {
    Crpctest__Ask ask = CRPCTEST__ASK__INIT;
    Crpctest__Answer *answer = NULL;
    crpc_status st;
    ask.payload.data = buf;
    ask.payload.len = LEN;
    cr_assert_eq(call_do(&ask, &answer, NULL, &st), CRPC_OK, "call %d: %s", i,
                 st.message);
    cr_assert_eq(answer->payload.len, (size_t)LEN);
    crpctest__answer__free_unpacked(answer, NULL);
  }
}

Test(unary, carries_every_status_code_and_odd_messages) {
  static const char *const messages[] = {
      "plain", "tab\there\r\nnew line", "caf\xc3\xa9 \xe2\x9c\x93 100%", "%",
      "%zz %4 trailing %"};
  for (int code = 1; code <= 16; code++) {
    const char *msg = messages[code % 5];
    Crpctest__Ask ask = CRPCTEST__ASK__INIT;
    Crpctest__Answer *answer = NULL;
    crpc_status st;
    ask.code = code;
    ask.message = (char *)msg;
    cr_assert_eq(call_do(&ask, &answer, NULL, &st), (crpc_code)code);
    cr_assert_eq(st.code, (crpc_code)code);
    cr_assert_str_eq(st.message, msg);
    cr_assert_null(answer);
  }
}

Test(unary, echoes_ascii_and_binary_metadata_in_headers_and_trailers) {
  crpc_call_opts *opts;
  crpc_metadata *headers, *trailers;
  uint8_t bin[256];
  for (int i = 0; i < 256; i++)
    bin[i] = (uint8_t)i;
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  cr_assert_eq(crpc_metadata_new(&headers), CRPC_OK);
  cr_assert_eq(crpc_metadata_new(&trailers), CRPC_OK);
  cr_assert_eq(crpc_call_opts_add_metadata(opts, "x-text", "hello world", 11),
               CRPC_OK);
  cr_assert_eq(crpc_call_opts_add_metadata(opts, "x-data-bin", bin, 256),
               CRPC_OK);
  crpc_call_opts_capture_metadata(opts, headers, trailers);

  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  ask.echo_metadata = true;
  cr_assert_eq(call_do(&ask, &answer, opts, NULL), CRPC_OK);
  crpctest__answer__free_unpacked(answer, NULL);

  crpc_metadata *lists[] = {headers, trailers};
  for (int i = 0; i < 2; i++) {
    size_t len;
    const char *v = crpc_metadata_get(lists[i], "x-text", &len);
    cr_assert_not_null(v);
    cr_assert_str_eq(v, "hello world");
    v = crpc_metadata_get(lists[i], "x-data-bin", &len);
    cr_assert_not_null(v);
    cr_assert_eq(len, 256);
    cr_assert(memcmp(v, bin, 256) == 0);
  }
  crpc_metadata_free(headers);
  crpc_metadata_free(trailers);
  crpc_call_opts_free(opts);
}

Test(unary, reply_over_the_receive_limit_is_resource_exhausted) {
  crpc_call_opts *opts;
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_max_recv_len(opts, 1000);
  uint8_t buf[2000] = {0};
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_status st;
  ask.payload.data = buf;
  ask.payload.len = sizeof(buf);
  cr_assert_eq(call_do(&ask, &answer, opts, &st), CRPC_RESOURCE_EXHAUSTED,
               "%s", st.message);
  cr_assert_null(answer);
  /* The channel still works afterwards. */
  ask.payload.len = 10;
  cr_assert_eq(call_do(&ask, &answer, NULL, &st), CRPC_OK);
  crpctest__answer__free_unpacked(answer, NULL);
  crpc_call_opts_free(opts);
}

Test(unary_custom, request_over_the_server_limit_is_resource_exhausted) {
  start_server("--max_recv_len=1024");
  static uint8_t buf[4096];
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_status st;
  ask.payload.data = buf;
  ask.payload.len = sizeof(buf);
  cr_assert_eq(call_do(&ask, &answer, NULL, &st), CRPC_RESOURCE_EXHAUSTED,
               "%s", st.message);
  cr_assert(strstr(st.message, "larger than max") != NULL, "%s", st.message);
}

Test(unary, deadline_expires_on_time_and_the_handler_sees_it) {
  crpc_call_opts *opts;
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 100);
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_status st;
  ask.sleep_ms = 3000;
  int64_t start = crpc_now_ms();
  cr_assert_eq(call_do(&ask, &answer, opts, &st), CRPC_DEADLINE_EXCEEDED);
  int64_t took = crpc_now_ms() - start;
  cr_assert(took >= 95 && took < 1000, "took %lld ms", (long long)took);

  /* The server cancels the handler at the same deadline. */
  int seen = 0;
  for (int i = 0; i < 100 && seen == 0; i++) {
    Crpctest__Answer *stats = NULL;
    usleep(20 * 1000);
    cr_assert_eq(crpctest__test__stats__call(channel, &ask, &stats, NULL,
                                             NULL),
                 CRPC_OK);
    char text[16] = {0};
    memcpy(text, stats->payload.data,
           stats->payload.len < sizeof(text) ? stats->payload.len : 15);
    seen = atoi(text);
    crpctest__answer__free_unpacked(stats, NULL);
  }
  cr_assert_eq(seen, 1);
  crpc_call_opts_free(opts);
}

Test(unary, unknown_method_and_service_are_unimplemented) {
  crpc_method_desc method = crpctest__test__crpc_service.methods[0];
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  ProtobufCMessage *reply = NULL;
  crpc_status st;

  method.path = "/crpctest.Test/Nope";
  cr_assert_eq(crpc_call_unary(channel, &method, &ask.base, &reply, NULL, &st),
               CRPC_UNIMPLEMENTED);
  cr_assert_str_eq(st.message, "unknown method Nope for service crpctest.Test");
  method.path = "/crpctest.Missing/Run";
  cr_assert_eq(crpc_call_unary(channel, &method, &ask.base, &reply, NULL, &st),
               CRPC_UNIMPLEMENTED);
  cr_assert_str_eq(st.message, "unknown service crpctest.Missing");
}

Test(unary, malformed_reply_bytes_are_internal) {
  /* Read the Answer as a Varint: its field 1 has the wrong wire type. */
  crpc_method_desc method = crpctest__test__crpc_service.methods[0];
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  ProtobufCMessage *reply = NULL;
  crpc_status st;
  method.reply_type = &crpctest__varint__descriptor;
  ask.payload.data = (uint8_t *)"xyz";
  ask.payload.len = 3;
  cr_assert_eq(crpc_call_unary(channel, &method, &ask.base, &reply, NULL, &st),
               CRPC_INTERNAL);
  cr_assert(strstr(st.message, "crpctest.Varint") != NULL, "%s", st.message);
  cr_assert_null(reply);
}

static void *call_many(void *arg) {
  for (int i = 0; i < 200; i++) {
    Crpctest__Ask ask = CRPCTEST__ASK__INIT;
    Crpctest__Answer *answer = NULL;
    char text[32];
    int n = snprintf(text, sizeof(text), "%p-%d", arg, i);
    ask.payload.data = (uint8_t *)text;
    ask.payload.len = (size_t)n;
    if (call_do(&ask, &answer, NULL, NULL) != CRPC_OK ||
        answer->payload.len != (size_t)n ||
        memcmp(answer->payload.data, text, (size_t)n) != 0)
      return (void *)1;
    crpctest__answer__free_unpacked(answer, NULL);
  }
  return NULL;
}

Test(unary, threads_share_one_channel) {
  pthread_t threads[8];
  int ids[8];
  for (int i = 0; i < 8; i++) {
    ids[i] = i;
    pthread_create(&threads[i], NULL, call_many, &ids[i]);
  }
  for (int i = 0; i < 8; i++) {
    void *failed;
    pthread_join(threads[i], &failed);
    cr_assert_null(failed);
  }
}

Test(unary, server_killed_mid_call_is_unavailable) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_status st;
  ask.sleep_ms = 5000;
  pid_t pid = server.pid;
  if (fork() == 0) {
    usleep(200 * 1000);
    kill(pid, SIGKILL);
    _exit(0);
  }
  cr_assert_eq(call_do(&ask, &answer, NULL, &st), CRPC_UNAVAILABLE, "%s",
               st.message);
  test_proc_stop(&server, SIGKILL);
  /* Nobody listens now: a new call fails fast with UNAVAILABLE. */
  ask.sleep_ms = 0;
  cr_assert_eq(call_do(&ask, &answer, NULL, &st), CRPC_UNAVAILABLE);
  cr_assert(strstr(st.message, "refused") != NULL, "%s", st.message);
}

Test(unary, graceful_shutdown_finishes_calls_in_flight) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_status st;
  ask.sleep_ms = 300;
  pid_t pid = server.pid;
  if (fork() == 0) {
    usleep(100 * 1000);
    kill(pid, SIGTERM);
    _exit(0);
  }
  cr_assert_eq(call_do(&ask, &answer, NULL, &st), CRPC_OK, "%s", st.message);
  crpctest__answer__free_unpacked(answer, NULL);
  int status = test_proc_stop(&server, 0);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(unary_custom, serves_unix_sockets_and_ipv6) {
  char path[64], listen[80], target[80];
  snprintf(path, sizeof(path), "/tmp/crpc-test-%d.sock", (int)getpid());
  snprintf(listen, sizeof(listen), "--listen=unix:%s", path);
  start_server(listen);
  crpc_channel_free(channel);
  snprintf(target, sizeof(target), "unix://%s", path);
  cr_assert_eq(crpc_channel_new(&channel, target, NULL), CRPC_OK);
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_status st;
  cr_assert_eq(call_do(&ask, &answer, NULL, &st), CRPC_OK, "%s", st.message);
  crpctest__answer__free_unpacked(answer, NULL);
  test_proc_stop(&server, SIGINT);
  crpc_channel_free(channel);
  channel = NULL;
  unlink(path);

  start_server("--listen=[::1]:0");
  crpc_channel_free(channel);
  snprintf(target, sizeof(target), "ipv6:[::1]:%d", server.port);
  cr_assert_eq(crpc_channel_new(&channel, target, NULL), CRPC_OK);
  cr_assert_eq(call_do(&ask, &answer, NULL, &st), CRPC_OK, "%s", st.message);
  crpctest__answer__free_unpacked(answer, NULL);
}
