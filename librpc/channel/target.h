/*
 * channel/target.h: gRPC target names (grpc doc/naming.md).
 *
 * The seam for name resolution: a target parses into a scheme and either
 * addresses (ipv4:, ipv6:, unix:) or a host to resolve (dns:, bare names).
 */
#ifndef CRPC_TARGET_H
#define CRPC_TARGET_H

#include "transport/addr.h"

#define CRPC_TARGET_MAX_ADDRS 16

typedef enum crpc_target_scheme {
  CRPC_TARGET_DNS,
  CRPC_TARGET_IPV4,
  CRPC_TARGET_IPV6,
  CRPC_TARGET_UNIX
} crpc_target_scheme;

typedef struct crpc_target {
  crpc_target_scheme scheme;
  char dns_server[128]; /* dns://server:port/ authority, "" for default */
  char host[256];       /* dns: the name to resolve */
  char port[8];         /* dns: the port, default 443 */
  char authority[300];  /* the :authority header calls send */
  crpc_addr addrs[CRPC_TARGET_MAX_ADDRS];
  size_t addr_count; /* ipv4:, ipv6:, unix: */
} crpc_target;

/*
 * Parses |text|: "dns:[//server/]host[:port]", "ipv4:a.b.c.d[:port][,...]",
 * "ipv6:[addr][:port][,...]", "unix:path", "unix:///abs/path", or bare
 * "host[:port]" (dns). INVALID_ARGUMENT with |why| otherwise.
 */
crpc_code crpc_target_parse(const char *text, crpc_target *out,
                            crpc_status *why);

#endif /* CRPC_TARGET_H */
