/*
 * tests/integration/connection_test.c: connection management against a
 * test_server process: client keepalive finding a stopped server, the
 * server's ping enforcement (a raw nghttp2 client pinging too often), max
 * connection age and idle with graceful GOAWAY, the connect timeout, and
 * round_robin's outlier ejection over three test_servers on 127.0.0.2-4.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "testsvc.crpc.h"

#define BACKENDS 3

static test_proc server, backends[BACKENDS];

static void start_proc(test_proc *p, const char *flag1, const char *flag2) {
  char path[512];
  snprintf(path, sizeof(path), "%s/tests/integration/test_server",
           test_builddir());
  char *argv[] = {path, (char *)flag1, (char *)flag2, NULL};
  cr_assert(test_proc_start(p, argv), "test_server did not start");
}

static void start_server(const char *flag1, const char *flag2) {
  start_proc(&server, flag1, flag2);
}

/* Backends on 127.0.0.2, .3, .4, one port; the first |bad| of them fail
 * every call with UNAVAILABLE. */
static void start_backends(int bad) {
  char listen[64];
  for (int i = 0; i < BACKENDS; i++) {
    snprintf(listen, sizeof(listen), "--listen=127.0.0.%d:%d", i + 2,
             backends[0].port);
    start_proc(&backends[i], listen, i < bad ? "--unavailable" : NULL);
  }
}

static void teardown(void) {
  if (server.pid > 0) {
    kill(server.pid, SIGCONT); /* in case a test stopped it */
    test_proc_stop(&server, SIGINT);
  }
  for (int i = 0; i < BACKENDS; i++)
    if (backends[i].pid > 0)
      test_proc_stop(&backends[i], SIGINT);
}

TestSuite(connection, .fini = teardown, .timeout = 40);

static crpc_channel *open_to(const char *target, crpc_channel_opts *opts) {
  crpc_channel *ch;
  cr_assert_eq(crpc_channel_new(&ch, target, opts), CRPC_OK);
  crpc_channel_opts_free(opts);
  return ch;
}

static crpc_channel *open_channel(crpc_channel_opts *opts) {
  char target[64];
  snprintf(target, sizeof(target), "127.0.0.1:%d", server.port);
  return open_to(target, opts);
}

/* Run with |key| (NULL: none), sleeping |sleep_ms| in the handler, under a
 * 20 s deadline. */
static crpc_code run_key(crpc_channel *ch, const char *key, int sleep_ms,
                         crpc_status *st) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_call_opts *opts;
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 20000);
  ask.sleep_ms = sleep_ms;
  if (key != NULL)
    ask.key = (char *)key;
  crpc_code code = crpctest__test__run__call(ch, &ask, &answer, opts, st);
  if (answer != NULL)
    crpctest__answer__free_unpacked(answer, NULL);
  crpc_call_opts_free(opts);
  return code;
}

static crpc_code run(crpc_channel *ch, int sleep_ms, crpc_status *st) {
  return run_key(ch, NULL, sleep_ms, st);
}

/* The Stats of the server at |target|: calls with |key|, and client
 * connections that called Run. */
static void stats(const char *target, const char *key, int *calls,
                  int *connections) {
  crpc_channel *ch = open_to(target, NULL);
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  char text[48] = {0};
  int c, f;
  ask.message = (char *)key;
  cr_assert_eq(crpctest__test__stats__call(ch, &ask, &answer, NULL, NULL),
               CRPC_OK);
  memcpy(text, answer->payload.data,
         answer->payload.len < sizeof(text) ? answer->payload.len : 47);
  cr_assert_eq(sscanf(text, "%d %d %d %d", &c, &f, calls, connections), 4, "%s",
               text);
  crpctest__answer__free_unpacked(answer, NULL);
  crpc_channel_free(ch);
}

static int server_connections(void) {
  char target[64];
  int calls, connections;
  snprintf(target, sizeof(target), "127.0.0.1:%d", server.port);
  stats(target, "", &calls, &connections);
  return connections;
}

/* Calls backend |i| saw with |key|. */
static int seen_by(int i, const char *key) {
  char target[64];
  int calls, connections;
  snprintf(target, sizeof(target), "127.0.0.%d:%d", i + 2, backends[0].port);
  stats(target, key, &calls, &connections);
  return calls;
}

Test(connection, keepalive_finds_a_server_that_stopped_answering) {
  start_server(NULL, NULL);
  crpc_channel_opts *opts;
  cr_assert_eq(crpc_channel_opts_new(&opts), CRPC_OK);
  crpc_channel_opts_set_keepalive(opts, 300, 300, false);
  crpc_channel *ch = open_channel(opts);
  cr_assert_eq(run(ch, 0, NULL), CRPC_OK);

  /* The kernel still acknowledges TCP, but no PING ACK comes: the call
   * fails long before its 20 s deadline. */
  cr_assert_eq(kill(server.pid, SIGSTOP), 0);
  int status;
  cr_assert_eq(waitpid(server.pid, &status, WUNTRACED), server.pid);
  cr_assert(WIFSTOPPED(status)); /* every thread, not just signalled */
  crpc_status st;
  cr_assert_eq(run(ch, 0, &st), CRPC_UNAVAILABLE, "%s", st.message);
  cr_assert(strstr(st.message, "keepalive ping not answered") != NULL, "%s",
            st.message);
  cr_assert_eq(kill(server.pid, SIGCONT), 0);

  /* The channel connects again. */
  cr_assert_eq(run(ch, 0, &st), CRPC_OK, "%s", st.message);
  cr_assert_eq(server_connections(), 2);
  crpc_channel_free(ch);
}

/* Waits (up to 10 s) for the channel to lose its connection. */
static void wait_while_ready(crpc_channel *ch) {
  for (int i = 0; i < 2000 && crpc_channel_get_state(ch) == CRPC_CHANNEL_READY;
       i++)
    usleep(5 * 1000);
  cr_assert_eq(crpc_channel_get_state(ch), CRPC_CHANNEL_IDLE);
}

Test(connection, too_many_pings_doubles_the_keepalive_time) {
  start_server(NULL, NULL); /* 5 min between pings, 2 strikes */
  crpc_channel_opts *opts;
  cr_assert_eq(crpc_channel_opts_new(&opts), CRPC_OK);
  crpc_channel_opts_set_keepalive(opts, 100, 5000, true);
  crpc_channel *ch = open_channel(opts);
  cr_assert_eq(run(ch, 0, NULL), CRPC_OK);
  wait_while_ready(ch); /* GOAWAY too_many_pings after 4 pings */

  /* The next connection pings every 200 ms, not 100: the server's
   * patience (a free ping and two strikes) now lasts at least 800 ms. */
  int64_t start = crpc_now_ms();
  cr_assert_eq(run(ch, 0, NULL), CRPC_OK);
  wait_while_ready(ch);
  cr_assert_geq(crpc_now_ms() - start, 790);
  cr_assert_eq(server_connections(), 2);
  crpc_channel_free(ch);
}

Test(connection, keepalive_pings_keep_an_idle_connection) {
  start_server("--ping_policy=100,1,2", NULL);
  crpc_channel_opts *opts;
  cr_assert_eq(crpc_channel_opts_new(&opts), CRPC_OK);
  crpc_channel_opts_set_keepalive(opts, 200, 2000, true);
  crpc_channel *ch = open_channel(opts);
  cr_assert_eq(run(ch, 0, NULL), CRPC_OK);
  /* Pings answered in time (and allowed) leave the connection alone. */
  usleep(1000 * 1000);
  cr_assert_eq(crpc_channel_get_state(ch), CRPC_CHANNEL_READY);
  cr_assert_eq(run(ch, 0, NULL), CRPC_OK);
  cr_assert_eq(server_connections(), 1);
  crpc_channel_free(ch);
}

/* A raw HTTP/2 client, to ping exactly as often as a test wants. */
typedef struct raw_client {
  int fd;
  nghttp2_session *session;
  int acks;
  bool got_goaway;
  uint32_t goaway_error;
  char debug[32];
  uint8_t wire[8192]; /* the first bytes received, as they came */
  size_t wire_len;
} raw_client;

static int on_raw_frame(nghttp2_session *s, const nghttp2_frame *frame,
                        void *arg) {
  raw_client *c = arg;
  if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK))
    c->acks++;
  if (frame->hd.type == NGHTTP2_GOAWAY) {
    size_t len = frame->goaway.opaque_data_len;
    c->got_goaway = true;
    c->goaway_error = frame->goaway.error_code;
    len = len < sizeof(c->debug) - 1 ? len : sizeof(c->debug) - 1;
    if (len > 0) /* else opaque_data may be NULL */
      memcpy(c->debug, frame->goaway.opaque_data, len);
    c->debug[len] = '\0';
  }
  return 0;
}

/* Connects to the server; |ack_pings| false leaves the server's PINGs
 * unanswered, as a client that hangs would. */
static void raw_connect_acking(raw_client *c, bool ack_pings) {
  struct sockaddr_in sin = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)server.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  nghttp2_session_callbacks *cbs;
  nghttp2_option *opt;
  memset(c, 0, sizeof(*c));
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_eq(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  cr_assert_eq(nghttp2_session_callbacks_new(&cbs), 0);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_raw_frame);
  cr_assert_eq(nghttp2_option_new(&opt), 0);
  nghttp2_option_set_no_auto_ping_ack(opt, !ack_pings);
  cr_assert_eq(nghttp2_session_client_new2(&c->session, cbs, c, opt), 0);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, NULL, 0);
}

static void raw_connect(raw_client *c) { raw_connect_acking(c, true); }

/*
 * The GOAWAY frames received: their count, and the last stream id of the
 * first |max| in |ids|. Read off the wire (RFC 9113 4.1, 6.8), since
 * nghttp2 stops delivering frames to a client once one GOAWAY came.
 */
static int wire_goaways(const raw_client *c, uint32_t *ids, int max) {
  int count = 0;
  for (size_t at = 0; at + 9 <= c->wire_len;) {
    const uint8_t *f = c->wire + at;
    size_t len = (size_t)f[0] << 16 | (size_t)f[1] << 8 | f[2];
    if (f[3] == NGHTTP2_GOAWAY && at + 9 + len <= c->wire_len && len >= 8) {
      if (count < max)
        ids[count] = ((uint32_t)f[9] << 24 | (uint32_t)f[10] << 16 |
                      (uint32_t)f[11] << 8 | f[12]) &
                     0x7fffffffu;
      count++;
    }
    at += 9 + len;
  }
  return count;
}

static void raw_flush(raw_client *c) {
  const uint8_t *data;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(c->session, &data)) > 0)
    cr_assert_eq(write(c->fd, data, (size_t)n), n);
}

/* Reads what comes within 5 s; false at the end of the connection. */
static bool raw_read(raw_client *c) {
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  uint8_t buf[4096];
  cr_assert_eq(poll(&p, 1, 5000), 1, "the server said nothing for 5 s");
  ssize_t n = read(c->fd, buf, sizeof(buf));
  if (n <= 0)
    return false;
  size_t keep = sizeof(c->wire) - c->wire_len;
  keep = (size_t)n < keep ? (size_t)n : keep;
  memcpy(c->wire + c->wire_len, buf, keep);
  c->wire_len += keep;
  cr_assert_geq(nghttp2_session_mem_recv(c->session, buf, (size_t)n), 0);
  return true;
}

/* Pings, one after the other's ACK, until GOAWAY or |max| pings. */
static int ping_until_goaway(raw_client *c, int max) {
  int sent = 0;
  while (sent < max && !c->got_goaway) {
    nghttp2_submit_ping(c->session, NGHTTP2_FLAG_NONE, NULL);
    sent++;
    raw_flush(c);
    while (c->acks < sent && !c->got_goaway)
      cr_assert(raw_read(c), "connection closed without GOAWAY");
  }
  return sent;
}

static void raw_close(raw_client *c) {
  nghttp2_session_del(c->session);
  close(c->fd);
}

/* Reads until the server closes the connection (at most 100 reads). */
static void raw_read_to_end(raw_client *c) {
  for (int i = 0; i < 100 && raw_read(c); i++)
    raw_flush(c); /* PING ACKs, when acking */
  cr_assert_eq(read(c->fd, (char[1]){0}, 1), 0, "still open");
}

Test(connection, server_sends_too_many_pings_after_two_strikes) {
  start_server(NULL, NULL); /* gRPC's defaults: 5 min, 2 strikes */
  raw_client c;
  raw_connect(&c);
  /* The first ping is free, the next two are strikes, the fourth ends it. */
  cr_assert_eq(ping_until_goaway(&c, 20), 4);
  cr_assert(c.got_goaway);
  cr_assert_eq(c.goaway_error, NGHTTP2_ENHANCE_YOUR_CALM);
  cr_assert_str_eq(c.debug, "too_many_pings");
  raw_read_to_end(&c); /* ...and the server closes the connection */
  raw_close(&c);
}

Test(connection, server_without_ping_limit_answers_every_ping) {
  start_server("--ping_policy=0,0,0", NULL);
  raw_client c;
  raw_connect(&c);
  cr_assert_eq(ping_until_goaway(&c, 20), 20);
  cr_assert_not(c.got_goaway);
  cr_assert_eq(c.acks, 20);
  raw_close(&c);
}

/* An idle connection ends with GOAWAY 2^31-1 ("stop soon"), then GOAWAY
 * naming the last stream taken (none here), then the close. */
static void expect_two_step_goaway(bool ack_pings) {
  raw_client c;
  raw_connect_acking(&c, ack_pings);
  raw_flush(&c);
  raw_read_to_end(&c);
  uint32_t ids[2];
  cr_assert_eq(wire_goaways(&c, ids, 2), 2);
  cr_assert_eq(ids[0], INT32_MAX);
  cr_assert_eq(ids[1], 0);
  cr_assert_eq(c.goaway_error, NGHTTP2_NO_ERROR);
  raw_close(&c);
}

Test(connection, graceful_goaway_has_two_steps) {
  start_server("--max_idle_ms=200", NULL);
  expect_two_step_goaway(true);
}

Test(connection, graceful_goaway_goes_on_without_a_ping_ack) {
  /* The keepalive timeout bounds the wait for the notice's PING ACK. */
  start_server("--max_idle_ms=200", "--keepalive=3600000,300");
  expect_two_step_goaway(false);
}

Test(connection, shutdown_goaway_has_two_steps) {
  start_server(NULL, NULL);
  raw_client c;
  raw_connect(&c);
  raw_flush(&c);
  cr_assert(raw_read(&c)); /* the server's SETTINGS: the connection is up */
  kill(server.pid, SIGTERM);
  raw_read_to_end(&c); /* acking the notice's PING */
  cr_assert_eq(test_proc_stop(&server, SIGTERM), 0, "unclean exit");
  uint32_t ids[2];
  cr_assert_eq(wire_goaways(&c, ids, 2), 2);
  cr_assert_eq(ids[0], INT32_MAX);
  cr_assert_eq(ids[1], 0);
  raw_close(&c);
}

Test(connection, max_age_ends_connections_without_failing_a_call) {
  start_server("--max_age=300,10000", NULL);
  crpc_channel *ch = open_channel(NULL);
  int64_t end = crpc_now_ms() + 2500;
  int calls = 0;
  crpc_status st;
  /* Calls in flight while connections age out (each sleeps 20 ms). */
  for (; calls < 500 && crpc_now_ms() < end; calls++)
    cr_assert_eq(run(ch, 20, &st), CRPC_OK, "call %d: %s", calls, st.message);
  cr_assert_gt(calls, 10);
  cr_assert_gt(server_connections(), 1);
  crpc_channel_free(ch);
}

Test(connection, max_age_grace_cuts_calls_that_outlast_it) {
  start_server("--max_age=300,200", NULL);
  crpc_channel *ch = open_channel(NULL);
  crpc_status st;
  /* Still running 300+200 ms after the connection opened. */
  cr_assert_eq(run(ch, 3000, &st), CRPC_UNAVAILABLE, "%s", st.message);
  cr_assert_eq(run(ch, 0, &st), CRPC_OK, "%s", st.message);
  crpc_channel_free(ch);
}

Test(connection, max_idle_closes_an_idle_connection) {
  start_server("--max_idle_ms=300", NULL);
  crpc_channel *ch = open_channel(NULL);
  cr_assert_eq(run(ch, 0, NULL), CRPC_OK);
  cr_assert_eq(crpc_channel_get_state(ch), CRPC_CHANNEL_READY);
  wait_while_ready(ch);
  cr_assert_eq(run(ch, 0, NULL), CRPC_OK);
  cr_assert_eq(server_connections(), 2);
  crpc_channel_free(ch);
}

Test(connection, busy_connection_is_not_idle) {
  start_server("--max_idle_ms=300", NULL);
  crpc_channel *ch = open_channel(NULL);
  /* One call longer than the idle limit: the connection is in use. */
  cr_assert_eq(run(ch, 800, NULL), CRPC_OK);
  cr_assert_eq(server_connections(), 1);
  crpc_channel_free(ch);
}

Test(connection, connect_timeout_fails_a_connect_that_hangs) {
  /* A listener whose accept queue is full: the kernel drops further SYNs,
   * so a connect neither succeeds nor fails. */
  struct sockaddr_in sin = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(sin);
  int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[4];
  cr_assert_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  cr_assert_eq(listen(lfd, 0), 0);
  cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
  for (int i = 0; i < 4; i++) {
    fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
  }
  usleep(100 * 1000);

  crpc_channel_opts *opts;
  crpc_channel *ch;
  char target[64];
  crpc_status st;
  cr_assert_eq(crpc_channel_opts_new(&opts), CRPC_OK);
  crpc_channel_opts_set_min_connect_timeout_ms(opts, 300);
  crpc_channel_opts_set_connect_backoff(opts, 100, 100);
  snprintf(target, sizeof(target), "127.0.0.1:%d", ntohs(sin.sin_port));
  cr_assert_eq(crpc_channel_new(&ch, target, opts), CRPC_OK);
  crpc_channel_opts_free(opts);
  cr_assert_eq(run(ch, 0, &st), CRPC_UNAVAILABLE, "%s", st.message);
  cr_assert(strstr(st.message, "connect timed out after 300 ms") != NULL, "%s",
            st.message);
  crpc_channel_free(ch);
  for (int i = 0; i < 4; i++)
    close(fill[i]);
  close(lfd);
}

static crpc_channel *open_round_robin(int failures, int64_t base_ms) {
  crpc_channel_opts *opts;
  char target[128];
  int port = backends[0].port;
  cr_assert_eq(crpc_channel_opts_new(&opts), CRPC_OK);
  cr_assert_eq(crpc_channel_opts_set_lb_policy(opts, "round_robin"), CRPC_OK);
  crpc_channel_opts_set_outlier_ejection(opts, failures, base_ms, 60000, 50);
  snprintf(target, sizeof(target),
           "ipv4:127.0.0.2:%d,127.0.0.3:%d,127.0.0.4:%d", port, port, port);
  return open_to(target, opts);
}

/* Calls with |key| until |failures| failed (at most |max| calls). */
static int calls_until_failures(crpc_channel *ch, const char *key, int failures,
                                int max) {
  int failed = 0, calls = 0;
  while (failed < failures && calls < max) {
    calls++;
    failed += run_key(ch, key, 0, NULL) == CRPC_UNAVAILABLE;
  }
  cr_assert_eq(failed, failures, "%d of %d calls failed", failed, calls);
  return calls;
}

static void expect_all_ok(crpc_channel *ch, const char *key, int count) {
  crpc_status st;
  for (int i = 0; i < count; i++)
    cr_assert_eq(run_key(ch, key, 0, &st), CRPC_OK, "call %d: %s", i,
                 st.message);
}

Test(connection, round_robin_ejects_an_address_that_keeps_failing) {
  start_backends(1);
  crpc_channel *ch = open_round_robin(3, 1500);
  calls_until_failures(ch, "a", 3, 30);
  cr_assert_eq(seen_by(0, "a"), 3);

  /* Ejected: the other two share every call. */
  expect_all_ok(ch, "b", 30);
  cr_assert_eq(seen_by(0, "b"), 0);
  cr_assert_eq(seen_by(1, "b"), 15);
  cr_assert_eq(seen_by(2, "b"), 15);

  /* Back after the ejection time, and out again after 3 more failures. */
  usleep(1700 * 1000);
  calls_until_failures(ch, "c", 3, 30);
  cr_assert_eq(seen_by(0, "c"), 3);

  /* The second ejection lasts twice as long: still out after 1.7 s. */
  usleep(1700 * 1000);
  expect_all_ok(ch, "d", 10);
  cr_assert_eq(seen_by(0, "d"), 0);
  crpc_channel_free(ch);
}

Test(connection, outlier_ejection_keeps_within_max_percent) {
  start_backends(2); /* two of three bad; 50% of 3 allows one ejection */
  crpc_channel *ch = open_round_robin(2, 60000);
  calls_until_failures(ch, "a", 4, 30);
  int failed = 0;
  for (int i = 0; i < 20; i++)
    failed += run_key(ch, "b", 0, NULL) == CRPC_UNAVAILABLE;
  int bad0 = seen_by(0, "b"), bad1 = seen_by(1, "b");
  /* One bad address is out, the other still gets its share. */
  cr_assert(bad0 == 0 || bad1 == 0, "%d and %d", bad0, bad1);
  cr_assert_eq(bad0 + bad1, 10);
  cr_assert_eq(failed, 10);
  cr_assert_eq(seen_by(2, "b"), 10);
  crpc_channel_free(ch);
}
