/*
 * tests/integration/dns_channel_test.c: a channel to a DNS name served by
 * dnsmasq, resolving to three test_server processes on 127.0.0.2-4.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "proc.h"
#include "testsvc.crpc.h"

#define BACKENDS 3

static test_dns dns;
static test_proc backends[BACKENDS];
static int port;

static void start_backend(int i) {
  char path[512], listen[64];
  snprintf(path, sizeof(path), "%s/tests/integration/test_server",
           test_builddir());
  snprintf(listen, sizeof(listen), "--listen=127.0.0.%d:%d", i + 2, port);
  char *argv[] = {path, listen, NULL};
  cr_assert(test_proc_start(&backends[i], argv), "backend %d", i);
  port = backends[i].port;
}

static void start_dns(const char *const *records, size_t count) {
  cr_assert(test_dns_start(&dns, records, count, 1), "dnsmasq did not start");
}

static void setup(void) {
  static const char *const records[] = {
      "svc.test,127.0.0.2", "svc.test,127.0.0.3", "svc.test,127.0.0.4"};
  port = 0;
  for (int i = 0; i < BACKENDS; i++)
    start_backend(i);
  start_dns(records, 3);
}

static void teardown(void) {
  for (int i = 0; i < BACKENDS; i++)
    if (backends[i].pid > 0)
      test_proc_stop(&backends[i], SIGINT);
  test_dns_stop(&dns);
}

TestSuite(dns_channel, .init = setup, .fini = teardown, .timeout = 30);

static crpc_channel *open_channel(const char *policy, const char *config) {
  crpc_channel *ch;
  char name_port[64];
  crpc_status why;
  snprintf(name_port, sizeof(name_port), "svc.test:%d", port);
  cr_assert_eq(test_dns_channel_new(&ch, &dns, name_port, policy, config, &why),
               CRPC_OK, "%s", why.message);
  return ch;
}

static crpc_code call(crpc_channel *ch, const char *key) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_call_opts *opts;
  crpc_call_opts_new(&opts);
  crpc_call_opts_set_timeout_ms(opts, 5000);
  ask.key = (char *)key;
  crpc_code code = crpctest__test__run__call(ch, &ask, &answer, opts, NULL);
  if (answer != NULL)
    crpctest__answer__free_unpacked(answer, NULL);
  crpc_call_opts_free(opts);
  return code;
}

/* Calls backend |i| saw with |key|. */
static int seen_by(int i, const char *key) {
  crpc_channel *ch;
  char target[64], text[32] = {0};
  int c, f, a = -1;
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  snprintf(target, sizeof(target), "127.0.0.%d:%d", i + 2, port);
  cr_assert_eq(crpc_channel_new(&ch, target, NULL), CRPC_OK);
  ask.message = (char *)key;
  cr_assert_eq(crpctest__test__stats__call(ch, &ask, &answer, NULL, NULL),
               CRPC_OK);
  memcpy(text, answer->payload.data,
         answer->payload.len < sizeof(text) ? answer->payload.len : 31);
  sscanf(text, "%d %d %d", &c, &f, &a);
  crpctest__answer__free_unpacked(answer, NULL);
  crpc_channel_free(ch);
  return a;
}

Test(dns_channel, round_robin_spreads_calls_evenly) {
  crpc_channel *ch = open_channel("round_robin", NULL);
  cr_assert_eq(call(ch, "warm"), CRPC_OK);
  /* Let every address connect before counting. */
  for (int i = 0; i < 50 && crpc_channel_get_state(ch) != CRPC_CHANNEL_READY;
       i++)
    usleep(10 * 1000);
  usleep(100 * 1000);
  for (int i = 0; i < 30; i++)
    cr_assert_eq(call(ch, "rr"), CRPC_OK);
  for (int i = 0; i < BACKENDS; i++)
    cr_assert_eq(seen_by(i, "rr"), 10, "backend %d", i);
  crpc_channel_free(ch);
}

Test(dns_channel, pick_first_sticks_to_one_address) {
  crpc_channel *ch = open_channel("pick_first", NULL);
  for (int i = 0; i < 12; i++)
    cr_assert_eq(call(ch, "pf"), CRPC_OK);
  int total = 0, max = 0;
  for (int i = 0; i < BACKENDS; i++) {
    int n = seen_by(i, "pf");
    total += n;
    max = n > max ? n : max;
  }
  cr_assert_eq(total, 12);
  cr_assert_eq(max, 12);
  crpc_channel_free(ch);
}

Test(dns_channel, killing_a_backend_loses_no_call_that_may_retry) {
  crpc_channel *ch = open_channel(
      "round_robin",
      "{\"methodConfig\":[{\"name\":[{}],\"retryPolicy\":{\"maxAttempts\":3,"
      "\"initialBackoff\":\"0.01s\",\"maxBackoff\":\"0.1s\","
      "\"backoffMultiplier\":2,\"retryableStatusCodes\":[\"UNAVAILABLE\"]}}]}");
  for (int i = 0; i < 6; i++)
    cr_assert_eq(call(ch, "before"), CRPC_OK);
  test_proc_stop(&backends[1], SIGKILL);
  for (int i = 0; i < 30; i++)
    cr_assert_eq(call(ch, "after"), CRPC_OK, "call %d lost", i);
  cr_assert_eq(seen_by(0, "after") + seen_by(2, "after"), 30);
  crpc_channel_free(ch);
}

Test(dns_channel, keeps_working_on_cached_addresses_without_dns) {
  crpc_channel *ch = open_channel("round_robin", NULL);
  cr_assert_eq(call(ch, "x"), CRPC_OK);
  test_dns_stop(&dns);
  usleep(1200 * 1000); /* the 1 s TTL passes: re-resolution fails */
  for (int i = 0; i < 10; i++)
    cr_assert_eq(call(ch, "cached"), CRPC_OK);
  crpc_channel_free(ch);
}

Test(dns_channel, picks_up_a_changed_record) {
  crpc_channel *ch = open_channel("round_robin", NULL);
  cr_assert_eq(call(ch, "y"), CRPC_OK);
  int dns_port = dns.port;
  test_dns_stop(&dns);
  /* Same port, now only 127.0.0.4. */
  static const char *const records[] = {"svc.test,127.0.0.4"};
  char port_text[16];
  snprintf(port_text, sizeof(port_text), "%d", dns_port);
  setenv("CRPC_TEST_DNS_PORT", port_text, 1);
  start_dns(records, 1);
  unsetenv("CRPC_TEST_DNS_PORT");
  usleep(1500 * 1000); /* past the TTL */
  /* The next call starts a resolution in the background and still goes
   * out on the cached addresses; the ones after it see the new record. */
  cr_assert_eq(call(ch, "trigger"), CRPC_OK);
  usleep(300 * 1000);
  for (int i = 0; i < 12; i++)
    cr_assert_eq(call(ch, "moved"), CRPC_OK);
  cr_assert_eq(seen_by(2, "moved"), 12);
  crpc_channel_free(ch);
}

Test(dns_channel, a_missing_name_fails_with_unavailable_naming_it) {
  crpc_channel *ch;
  char target[128];
  crpc_status st;
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  snprintf(target, sizeof(target), "dns://127.0.0.1:%d/nope.test:%d", dns.port,
           port);
  cr_assert_eq(crpc_channel_new(&ch, target, NULL), CRPC_OK);
  cr_assert_eq(crpctest__test__run__call(ch, &ask, &answer, NULL, &st),
               CRPC_UNAVAILABLE);
  cr_assert(strstr(st.message, "nope.test") != NULL, "%s", st.message);
  crpc_channel_free(ch);
}
