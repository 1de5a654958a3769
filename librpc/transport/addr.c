/*
 * transport/addr.c: address parsing and formatting.
 */
#include "transport/addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

size_t crpc_addr_resolve(const char *hostport, const char *default_port,
                         crpc_addr *out, size_t max, bool passive,
                         crpc_status *why) {
  char host[256];
  const char *port;
  const char *colon;

  if (hostport[0] == '[') {
    /* "[v6]:port" (RFC 3986 host syntax). */
    const char *end = strchr(hostport, ']');
    if (end == NULL || (size_t)(end - hostport - 1) >= sizeof(host))
      goto bad;
    memcpy(host, hostport + 1, (size_t)(end - hostport - 1));
    host[end - hostport - 1] = '\0';
    if (end[1] == ':')
      port = end + 2;
    else if (end[1] == '\0' && default_port != NULL)
      port = default_port;
    else
      goto bad;
  } else if ((colon = strrchr(hostport, ':')) != NULL &&
             strchr(hostport, ':') == colon) {
    if ((size_t)(colon - hostport) >= sizeof(host))
      goto bad;
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    port = colon + 1;
  } else if (default_port != NULL && strlen(hostport) < sizeof(host)) {
    /* A host alone, or a bare IPv6 address. */
    strcpy(host, hostport);
    port = default_port;
  } else {
    goto bad;
  }
  if (*port == '\0' || strspn(port, "0123456789") != strlen(port))
    goto bad;

  struct addrinfo hints = {0}, *res = NULL, *ai;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  int rc = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints, &res);
  if (rc != 0) {
    crpc_status_set(why, CRPC_UNAVAILABLE, "cannot resolve %s: %s", host,
                    gai_strerror(rc));
    return 0;
  }
  size_t count = 0;
  for (ai = res; ai != NULL && count < max; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(out[count].ss))
      continue;
    memcpy(&out[count].ss, ai->ai_addr, ai->ai_addrlen);
    out[count].len = ai->ai_addrlen;
    count++;
  }
  freeaddrinfo(res);
  if (count == 0)
    crpc_status_set(why, CRPC_UNAVAILABLE, "no address for %s", host);
  return count;

bad:
  crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                  "bad address \"%s\": expected host:port", hostport);
  return 0;
}

crpc_code crpc_addr_unix(const char *path, crpc_addr *out) {
  struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;
  size_t len = strlen(path);
  if (len == 0 || len >= sizeof(un->sun_path))
    return CRPC_INVALID_ARGUMENT;
  memset(un, 0, sizeof(*un));
  un->sun_family = AF_UNIX;
  memcpy(un->sun_path, path, len);
  out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
  return CRPC_OK;
}

void crpc_addr_format(const crpc_addr *a, char out[CRPC_ADDR_TEXT_MAX]) {
  char ip[INET6_ADDRSTRLEN];
  switch (a->ss.ss_family) {
  case AF_INET: {
    const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
    snprintf(out, CRPC_ADDR_TEXT_MAX, "ipv4:%s:%u", ip, ntohs(in->sin_port));
    return;
  }
  case AF_INET6: {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
    snprintf(out, CRPC_ADDR_TEXT_MAX, "ipv6:[%s]:%u", ip,
             ntohs(in6->sin6_port));
    return;
  }
  case AF_UNIX: {
    const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
    size_t max = a->len > offsetof(struct sockaddr_un, sun_path)
                     ? a->len - offsetof(struct sockaddr_un, sun_path)
                     : 0;
    snprintf(out, CRPC_ADDR_TEXT_MAX, "unix:%.*s", (int)strnlen(un->sun_path, max),
             un->sun_path);
    return;
  }
  default:
    snprintf(out, CRPC_ADDR_TEXT_MAX, "unknown:");
  }
}
