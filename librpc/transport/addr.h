/*
 * transport/addr.h: socket addresses and their gRPC text forms.
 */
#ifndef CRPC_ADDR_H
#define CRPC_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "crpc/common.h"

typedef struct crpc_addr {
  struct sockaddr_storage ss;
  socklen_t len;
} crpc_addr;

/* Longest text crpc_addr_format() writes, with the NUL. */
#define CRPC_ADDR_TEXT_MAX 128

/*
 * Parses "host:port", "[v6]:port" or, when |port| is not NULL, a host alone
 * with that default port. A numeric host is taken as is; a name is looked
 * up with getaddrinfo (blocking), which fills at most |max| addresses.
 * Returns the count found, or 0 with |why| set.
 */
size_t crpc_addr_resolve(const char *hostport, const char *default_port,
                         crpc_addr *out, size_t max, bool passive,
                         crpc_status *why);

/* A Unix socket address. INVALID_ARGUMENT if the path is too long. */
crpc_code crpc_addr_unix(const char *path, crpc_addr *out);

/* "ipv4:1.2.3.4:80", "ipv6:[::1]:80" or "unix:/path", as gRPC's peer(). */
void crpc_addr_format(const crpc_addr *a, char out[CRPC_ADDR_TEXT_MAX]);

#endif /* CRPC_ADDR_H */
