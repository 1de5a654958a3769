/*
 * tests/lib/dns.h: a real DNS server for tests: dnsmasq on a free
 * loopback port, answering only for the names a test gives it.
 */
#ifndef CRPC_TEST_DNS_H
#define CRPC_TEST_DNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "crpc/crpc.h"

typedef struct test_dns {
  pid_t pid;
  int port;
} test_dns;

/*
 * Starts dnsmasq with |records|, each "name,address" (one A or AAAA record;
 * repeat a name for several), answering with TTL |ttl_s|. False (and the
 * reason on stderr) if dnsmasq is missing or does not start.
 */
bool test_dns_start(test_dns *dns, const char *const *records, size_t count,
                    int ttl_s);

/* Stops it (SIGKILL) and waits. */
void test_dns_stop(test_dns *dns);

/*
 * A channel to |name_port| resolved by |dns| (dns://127.0.0.1:PORT/NAME),
 * with load-balancing |policy|, re-resolution at most every 100 ms,
 * connection backoff 100 ms to 1 s and the service config |config| (NULL
 * for none), so that tests see faults quickly. |why| says what failed.
 */
crpc_code test_dns_channel_new(crpc_channel **out, const test_dns *dns,
                               const char *name_port, const char *policy,
                               const char *config, crpc_status *why);

#endif /* CRPC_TEST_DNS_H */
