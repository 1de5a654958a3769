/*
 * tests/unit/channel/target_test.c: target names per grpc doc/naming.md.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>
#include <sys/un.h>

#include "channel/target.h"

static crpc_target parse_ok(const char *text) {
  crpc_target t;
  crpc_status why;
  cr_assert_eq(crpc_target_parse(text, &t, &why), CRPC_OK, "%s: %s", text,
               why.message);
  return t;
}

static void parse_bad(const char *text) {
  crpc_target t;
  crpc_status why;
  cr_assert_eq(crpc_target_parse(text, &t, &why), CRPC_INVALID_ARGUMENT,
               "accepted %s", text);
  cr_assert_neq(why.message[0], '\0');
}

static int port_of(const crpc_addr *a) {
  return a->ss.ss_family == AF_INET
             ? ntohs(((const struct sockaddr_in *)&a->ss)->sin_port)
             : ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

Test(target, bare_host_port_is_dns) {
  crpc_target t = parse_ok("users.svc.test:7001");
  cr_assert_eq(t.scheme, CRPC_TARGET_DNS);
  cr_assert_str_eq(t.host, "users.svc.test");
  cr_assert_str_eq(t.port, "7001");
  cr_assert_str_eq(t.dns_server, "");
  cr_assert_str_eq(t.authority, "users.svc.test:7001");
}

Test(target, dns_port_defaults_to_443) {
  crpc_target t = parse_ok("dns:svc.test");
  cr_assert_str_eq(t.port, "443");
  cr_assert_str_eq(t.authority, "svc.test:443");
}

Test(target, dns_with_a_server_authority) {
  crpc_target t = parse_ok("dns://127.0.0.1:5353/svc.test:8080");
  cr_assert_eq(t.scheme, CRPC_TARGET_DNS);
  cr_assert_str_eq(t.dns_server, "127.0.0.1:5353");
  cr_assert_str_eq(t.host, "svc.test");
  cr_assert_str_eq(t.port, "8080");
  t = parse_ok("dns:///svc.test:8080");
  cr_assert_str_eq(t.dns_server, "");
  cr_assert_str_eq(t.host, "svc.test");
}

Test(target, bracketed_ipv6_host) {
  crpc_target t = parse_ok("[::1]:50051");
  cr_assert_str_eq(t.host, "::1");
  cr_assert_str_eq(t.authority, "[::1]:50051");
}

Test(target, ipv4_lists) {
  crpc_target t = parse_ok("ipv4:127.0.0.1:1000,10.0.0.2:2000,127.0.0.3");
  cr_assert_eq(t.scheme, CRPC_TARGET_IPV4);
  cr_assert_eq(t.addr_count, 3);
  cr_assert_eq(port_of(&t.addrs[0]), 1000);
  cr_assert_eq(port_of(&t.addrs[1]), 2000);
  cr_assert_eq(port_of(&t.addrs[2]), 443);
  cr_assert_str_eq(t.authority, "127.0.0.1:1000");
}

Test(target, ipv6_lists) {
  crpc_target t = parse_ok("ipv6:[::1]:1000,[fe80::1]");
  cr_assert_eq(t.scheme, CRPC_TARGET_IPV6);
  cr_assert_eq(t.addr_count, 2);
  cr_assert_eq(t.addrs[0].ss.ss_family, AF_INET6);
  cr_assert_eq(port_of(&t.addrs[0]), 1000);
  cr_assert_eq(port_of(&t.addrs[1]), 443);
}

Test(target, unix_paths) {
  crpc_target t = parse_ok("unix:relative.sock");
  cr_assert_eq(t.scheme, CRPC_TARGET_UNIX);
  cr_assert_str_eq(((struct sockaddr_un *)&t.addrs[0].ss)->sun_path,
                   "relative.sock");
  t = parse_ok("unix:///tmp/abs.sock");
  cr_assert_str_eq(((struct sockaddr_un *)&t.addrs[0].ss)->sun_path,
                   "/tmp/abs.sock");
  cr_assert_str_eq(t.authority, "localhost");
}

Test(target, rejects_malformed_targets) {
  parse_bad("");
  parse_bad("ipv4:");
  parse_bad("ipv4:300.1.1.1:80");
  parse_bad("ipv4:127.0.0.1:99999");
  parse_bad("ipv4:127.0.0.1:8x");
  parse_bad("ipv6:::1:80");
  parse_bad("ipv6:[::1");
  parse_bad("host:");
  parse_bad("host:abc");
  parse_bad("dns://no-slash");
  parse_bad("unix:");
}
