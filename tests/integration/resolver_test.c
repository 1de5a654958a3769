/*
 * tests/integration/resolver_test.c: the c-ares resolver against a real DNS
 * server (dnsmasq on a loopback port) and /etc/hosts.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "resolver/resolver.h"

static test_dns dns;
static crpc_loop *loop;

/* One lookup run on the loop, waited for by the test. */
typedef struct ask {
  crpc_task task;
  char server[64];
  const char *host;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool is_done;
  crpc_code new_code;
  crpc_resolution result;
  crpc_resolver *r;
} ask;

static void on_result(void *arg, const crpc_resolution *result) {
  ask *a = arg;
  crpc_resolver_free(a->r);
  pthread_mutex_lock(&a->mu);
  a->result = *result;
  a->is_done = true;
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
}

static void on_task(void *arg) {
  ask *a = arg;
  crpc_status why;
  a->new_code = crpc_resolver_new(&a->r, loop, a->server, &why);
  if (a->new_code != CRPC_OK) {
    pthread_mutex_lock(&a->mu);
    a->result.status = why;
    a->is_done = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return;
  }
  crpc_resolver_resolve(a->r, a->host, "7001", on_result, a);
}

static crpc_resolution resolve(const char *server, const char *host) {
  ask a;
  memset(&a, 0, sizeof(a));
  snprintf(a.server, sizeof(a.server), "%s", server);
  a.host = host;
  pthread_mutex_init(&a.mu, NULL);
  pthread_cond_init(&a.cv, NULL);
  crpc_task_init(&a.task, on_task, &a);
  crpc_loop_post(loop, &a.task);
  pthread_mutex_lock(&a.mu);
  while (!a.is_done)
    pthread_cond_wait(&a.cv, &a.mu);
  pthread_mutex_unlock(&a.mu);
  return a.result;
}

static void setup(void) {
  static const char *const records[] = {
      "svc.test,127.0.0.2", "svc.test,127.0.0.3", "v6.test,::1"};
  cr_assert(test_dns_start(&dns, records, 3, 7), "dnsmasq did not start");
  cr_assert_eq(crpc_loop_new(&loop), CRPC_OK);
}

static void teardown(void) {
  crpc_loop_free(loop);
  test_dns_stop(&dns);
}

TestSuite(resolver, .init = setup, .fini = teardown, .timeout = 30);

static char *server_of(void) {
  static char text[32];
  snprintf(text, sizeof(text), "127.0.0.1:%d", dns.port);
  return text;
}

Test(resolver, finds_every_address_of_a_name_with_its_ttl) {
  crpc_resolution r = resolve(server_of(), "svc.test");
  cr_assert_eq(r.status.code, CRPC_OK, "%s", r.status.message);
  cr_assert_eq(r.count, 2);
  char seen[2][INET_ADDRSTRLEN];
  for (size_t i = 0; i < 2; i++) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)&r.addrs[i].ss;
    cr_assert_eq(in->sin_family, AF_INET);
    cr_assert_eq(ntohs(in->sin_port), 7001);
    inet_ntop(AF_INET, &in->sin_addr, seen[i], sizeof(seen[i]));
  }
  cr_assert((strcmp(seen[0], "127.0.0.2") == 0 &&
             strcmp(seen[1], "127.0.0.3") == 0) ||
            (strcmp(seen[0], "127.0.0.3") == 0 &&
             strcmp(seen[1], "127.0.0.2") == 0));
  cr_assert_eq(r.ttl_ms, 7000);
}

Test(resolver, finds_aaaa_records) {
  crpc_resolution r = resolve(server_of(), "v6.test");
  cr_assert_eq(r.status.code, CRPC_OK, "%s", r.status.message);
  cr_assert_eq(r.count, 1);
  cr_assert_eq(r.addrs[0].ss.ss_family, AF_INET6);
}

Test(resolver, names_the_host_and_the_error_when_a_name_is_missing) {
  crpc_resolution r = resolve(server_of(), "missing.test");
  cr_assert_eq(r.status.code, CRPC_UNAVAILABLE);
  cr_assert(strstr(r.status.message, "missing.test") != NULL, "%s",
            r.status.message);
  cr_assert(strstr(r.status.message, "DNS resolution failed") != NULL);
}

Test(resolver, honours_etc_hosts) {
  crpc_resolution r = resolve(server_of(), "localhost");
  cr_assert_eq(r.status.code, CRPC_OK, "%s", r.status.message);
  cr_assert(r.count >= 1);
}

Test(resolver, fails_in_bounded_time_when_the_server_is_gone) {
  test_dns_stop(&dns);
  int64_t start = crpc_now_ms();
  crpc_resolution r = resolve(server_of(), "svc.test");
  cr_assert_eq(r.status.code, CRPC_UNAVAILABLE);
  cr_assert(crpc_now_ms() - start < 15000);
}

Test(resolver, rejects_a_bad_server_address) {
  crpc_resolution r = resolve("not an address", "svc.test");
  cr_assert_eq(r.status.code, CRPC_INVALID_ARGUMENT, "%s", r.status.message);
}
