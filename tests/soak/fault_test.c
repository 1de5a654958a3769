/*
 * tests/soak/fault_test.c: faults under load, the fast variants that
 * `make check` runs (tests/soak/run runs them longer and across network
 * namespaces): a backend killed with SIGKILL, a server stopped with SIGTERM,
 * a DNS server that stops answering, a peer that stops reading (at the
 * socket, or a handler that reads nothing while the client keeps sending).
 *
 * Each test keeps a few threads calling (tests/soak/load.h) while the fault
 * happens and counts how every call ended; none may outlive its deadline.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dns.h"
#include "load.h"
#include "proc.h"
#include "streamsvc.crpc.h"
#include "testsvc.crpc.h"

#define BACKENDS 3

static test_proc servers[BACKENDS];
static test_dns dns;
static int port;

/* Phases of a fault test. */
enum { BEFORE, FAULT, AFTER };

static void teardown(void) {
  for (int i = 0; i < BACKENDS; i++)
    test_proc_stop(&servers[i], SIGKILL);
  if (dns.pid > 0)
    kill(dns.pid, SIGCONT);
  test_dns_stop(&dns);
}

TestSuite(faults, .fini = teardown, .timeout = 60);

static void sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }

/* test_server number |i| on 127.0.0.(i+2), all on one port. */
static void start_backend(int i) {
  char listen[64];
  snprintf(listen, sizeof(listen), "127.0.0.%d:%d", i + 2, port);
  cr_assert(test_proc_start_test_server(&servers[i], listen), "backend %d", i);
  port = servers[i].port;
}

/* |count| backends behind svc.test, resolved by dnsmasq with a 1 s TTL. */
static void start_backends_and_dns(int count) {
  static const char *const records[] = {
      "svc.test,127.0.0.2", "svc.test,127.0.0.3", "svc.test,127.0.0.4"};
  port = 0;
  for (int i = 0; i < count; i++)
    start_backend(i);
  cr_assert(test_dns_start(&dns, records, (size_t)count, 1),
            "dnsmasq did not start");
}

static crpc_channel *dns_channel(const char *config) {
  crpc_channel *ch;
  char name_port[64];
  crpc_status why;

  snprintf(name_port, sizeof(name_port), "svc.test:%d", port);
  cr_assert_eq(
      test_dns_channel_new(&ch, &dns, name_port, "round_robin", config, &why),
      CRPC_OK, "%s", why.message);
  return ch;
}

static soak_load *start_load(crpc_channel *ch, int threads, int64_t timeout_ms,
                             int handler_sleep_ms, size_t payload_len) {
  soak_load_opts o = {.channel = ch,
                      .spread_ms = handler_sleep_ms,
                      .threads = threads,
                      .timeout_ms = timeout_ms,
                      .handler_sleep_ms = handler_sleep_ms,
                      .payload_len = payload_len,
                      .max_calls = 100000};
  soak_load *load;
  cr_assert_eq(soak_load_start(&load, &o), CRPC_OK);
  return load;
}

static void log_result(const char *what, const soak_load_result *r) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  soak_load_print(r, f);
  fclose(f);
  fprintf(stderr, "%s:\n%s", what, text);
  free(text);
}

/* Every call ended, with OK, UNAVAILABLE or DEADLINE_EXCEEDED only. */
static void assert_clean_outcomes(const soak_load_result *r) {
  long allowed = soak_load_count(r, -1, -1, CRPC_OK) +
                 soak_load_count(r, -1, -1, CRPC_UNAVAILABLE) +
                 soak_load_count(r, -1, -1, CRPC_DEADLINE_EXCEEDED);
  cr_assert_eq(allowed, r->total, "%ld of %ld calls ended otherwise",
               r->total - allowed, r->total);
  cr_assert_eq(r->late, 0, "%ld calls outlived their deadline", r->late);
}

Test(faults, sigkill_of_a_round_robin_backend_under_load) {
  start_backends_and_dns(BACKENDS);
  crpc_channel *ch = dns_channel(
      "{\"methodConfig\":[{\"name\":[{}],\"retryPolicy\":{\"maxAttempts\":3,"
      "\"initialBackoff\":\"0.01s\",\"maxBackoff\":\"0.1s\","
      "\"backoffMultiplier\":2,\"retryableStatusCodes\":[\"UNAVAILABLE\"]}}]}");
  soak_load *load = start_load(ch, 8, 5000, 20, 64);
  soak_load_result r;

  sleep_ms(1000);
  soak_load_set_phase(load, FAULT);
  test_proc_stop(&servers[1], SIGKILL);
  soak_load_set_phase(load, AFTER);
  sleep_ms(2000);
  soak_load_stop(load, &r);
  log_result("kill -9 of one of three backends", &r);
  assert_clean_outcomes(&r);
  cr_assert_gt(soak_load_count(&r, AFTER, AFTER, CRPC_OK), 0,
               "no call succeeded after the kill");
  crpc_channel_free(ch);
}

Test(faults, sigterm_drains_every_call_in_flight) {
  char target[64];
  crpc_channel *ch;
  soak_load_result r;

  cr_assert(test_proc_start_test_server(&servers[0], NULL));
  snprintf(target, sizeof(target), "127.0.0.1:%d", servers[0].port);
  cr_assert_eq(crpc_channel_new(&ch, target, NULL), CRPC_OK);
  /* Calls stay 600 ms in their handler, starting spread over those 600 ms:
   * at any moment every thread has one in flight. */
  soak_load *load = start_load(ch, 16, 5000, 600, 64);

  sleep_ms(1000);
  /* Calls starting from now may race the GOAWAY: a stream the server has
   * not seen yet is refused and may fail once the listener is gone. Those
   * started before surely reached the server (loopback) and must finish. */
  soak_load_set_phase(load, FAULT);
  sleep_ms(250);
  soak_load_set_phase(load, AFTER);
  int status = test_proc_stop(&servers[0], SIGTERM); /* returns once drained */
  sleep_ms(300);
  soak_load_stop(load, &r);
  log_result("SIGTERM under load", &r);

  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "the server did not exit cleanly: status %#x", status);
  long in_flight = soak_load_count(&r, BEFORE, AFTER, -1);
  cr_assert_gt(in_flight, 0, "no call was in flight at the SIGTERM");
  cr_assert_eq(soak_load_count(&r, BEFORE, -1, CRPC_OK),
               soak_load_count(&r, BEFORE, -1, -1),
               "calls started before the SIGTERM failed");
  assert_clean_outcomes(&r);
  crpc_channel_free(ch);
}

Test(faults, dns_server_that_stops_answering) {
  start_backends_and_dns(2);
  crpc_channel *ch = dns_channel(NULL);
  soak_load *load = start_load(ch, 4, 5000, 5, 64);
  soak_load_result r;

  sleep_ms(500);
  kill(dns.pid, SIGSTOP);
  soak_load_set_phase(load, FAULT);
  /* Past the 1 s TTL: the channel asks again and hears nothing. */
  sleep_ms(2500);

  /* A new channel has no addresses to fall back on. */
  crpc_channel *fresh = dns_channel(NULL);
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_call_opts *opts;
  crpc_status st;
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 30000);
  int64_t t0 = crpc_now_ms();
  crpc_code code = crpctest__test__run__call(fresh, &ask, &answer, opts, &st);
  int64_t took = crpc_now_ms() - t0;
  fprintf(stderr, "new channel during the DNS stall: %s after %lld ms: %s\n",
          crpc_code_name(code), (long long)took, st.message);
  cr_assert_eq(code, CRPC_UNAVAILABLE, "%s: %s", crpc_code_name(code),
               st.message);
  crpc_call_opts_free(opts);
  crpc_channel_free(fresh);

  soak_load_stop(load, &r);
  log_result("DNS server stopped (SIGSTOP)", &r);
  cr_assert_gt(soak_load_count(&r, FAULT, FAULT, -1), 0);
  cr_assert_eq(soak_load_count(&r, -1, -1, CRPC_OK), r.total,
               "calls failed while the cached addresses still worked");
  cr_assert_eq(r.late, 0);
  crpc_channel_free(ch);
}

Test(faults, deadlines_fire_when_the_peer_stops_reading) {
  /* A listener that never accepts: the kernel completes the handshake, the
   * client's bytes fill the socket buffers, no SETTINGS or WINDOW_UPDATE
   * ever comes back, so requests above the initial 64 KiB window stall. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(sa);
  char target[64];
  crpc_channel *ch;
  soak_load_result r;

  cr_assert(fd >= 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  cr_assert_eq(listen(fd, 16), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
  snprintf(target, sizeof(target), "127.0.0.1:%d", ntohs(sa.sin_port));
  cr_assert_eq(crpc_channel_new(&ch, target, NULL), CRPC_OK);
  soak_load *load = start_load(ch, 4, 800, 0, 256 * 1024);

  sleep_ms(2500);
  soak_load_stop(load, &r);
  log_result("peer that never reads", &r);
  cr_assert_geq(r.total, 4);
  cr_assert_eq(soak_load_count(&r, -1, -1, CRPC_DEADLINE_EXCEEDED), r.total);
  cr_assert_eq(r.late, 0);
  crpc_channel_free(ch);
  close(fd);
}

struct blocked_sender {
  crpc_call *call;
  int sent;
  crpc_code code;
};

/* Sends 1 MiB items until a send fails: the window closes long before. */
static void *send_until_refused(void *arg) {
  struct blocked_sender *b = arg;
  static uint8_t mib[1 << 20];
  Crpcstream__Item item = CRPCSTREAM__ITEM__INIT;

  item.payload.data = mib;
  item.payload.len = sizeof(mib);
  for (b->sent = 0; b->sent < 64; b->sent++)
    if ((b->code = crpcstream__streams__upload__send(b->call, &item)) !=
        CRPC_OK)
      break;
  return NULL;
}

Test(faults, a_sender_blocked_by_a_closed_window_wakes_at_its_deadline) {
  char path[512], target[64];
  crpc_call_opts *opts;
  crpc_channel *ch;
  struct blocked_sender b = {NULL, 0, CRPC_OK};
  Crpcstream__Summary *summary = NULL;
  crpc_status st;
  pthread_t sender;

  snprintf(path, sizeof(path), "%s/tests/integration/stream_server",
           test_builddir());
  char *argv[] = {path, NULL};
  cr_assert(test_proc_start(&servers[0], argv));
  snprintf(target, sizeof(target), "127.0.0.1:%d", servers[0].port);
  cr_assert_eq(crpc_channel_new(&ch, target, NULL), CRPC_OK);
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 1000);
  /* The handler reads nothing for 20 s: the stream's window closes. */
  cr_assert_eq(crpc_call_opts_add_metadata(opts, "x-hold-ms", "20000", 5),
               CRPC_OK);
  int64_t t0 = crpc_now_ms();
  cr_assert_eq(crpcstream__streams__upload__start(ch, opts, &b.call), CRPC_OK);
  cr_assert_eq(pthread_create(&sender, NULL, send_until_refused, &b), 0);
  pthread_join(sender, NULL);
  int64_t took = crpc_now_ms() - t0;
  crpc_code code = crpcstream__streams__upload__finish(b.call, &summary, &st);
  fprintf(
      stderr, "blocked sender: %d MiB sent, then %s after %lld ms; finish %s\n",
      b.sent, crpc_code_name(b.code), (long long)took, crpc_code_name(code));
  cr_assert_lt(b.sent, 64, "every send went through a closed window");
  cr_assert_neq(b.code, CRPC_OK);
  cr_assert_eq(code, CRPC_DEADLINE_EXCEEDED, "%s", st.message);
  cr_assert_lt(took, 1000 + 1000, "the send outlived its deadline");
  cr_assert_null(summary);
  crpc_call_free(b.call);
  crpc_call_opts_free(opts);
  crpc_channel_free(ch);
}
