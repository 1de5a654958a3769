/*
 * tests/lib/dns.h: a real DNS server for tests: dnsmasq on a free
 * loopback port, answering only for the names a test gives it.
 */
#ifndef CRPC_TEST_DNS_H
#define CRPC_TEST_DNS_H

#include <stdbool.h>
#include <sys/types.h>

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

#endif /* CRPC_TEST_DNS_H */
