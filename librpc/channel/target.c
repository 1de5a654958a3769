/*
 * channel/target.c: parsing gRPC target names (grpc doc/naming.md).
 */
#include "channel/target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* naming.md: the port defaults to 443 when omitted. */
#define DEFAULT_PORT "443"

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* One "addr[:port]" (IPv4) or "[addr][:port]" (IPv6), numeric only. */
static bool parse_ip(const char *s, size_t len, int family, crpc_addr *out) {
  char buf[96];
  char *host = buf, *port = NULL;
  if (len >= sizeof(buf))
    return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (family == AF_INET6) {
    char *close = strchr(buf, ']');
    if (buf[0] != '[' || close == NULL)
      return false;
    *close = '\0';
    host = buf + 1;
    if (close[1] == ':')
      port = close + 2;
    else if (close[1] != '\0')
      return false;
  } else {
    char *colon = strchr(buf, ':');
    if (colon != NULL) {
      *colon = '\0';
      port = colon + 1;
    }
  }
  unsigned long p = 443;
  if (port != NULL) {
    size_t port_len = strlen(port);
    if (port_len == 0 || port_len > 5 ||
        strspn(port, "0123456789") != port_len)
      return false;
    p = strtoul(port, NULL, 10);
    if (p > 65535)
      return false;
  }
  memset(out, 0, sizeof(*out));
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&out->ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)p);
    out->len = sizeof(*in);
    return inet_pton(AF_INET, host, &in->sin_addr) == 1;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons((uint16_t)p);
  out->len = sizeof(*in6);
  return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1;
}

static crpc_code parse_ip_list(const char *list, int family, crpc_target *out,
                               crpc_status *why) {
  const char *p = list;
  while (*p != '\0') {
    const char *comma = strchr(p, ',');
    size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
    if (out->addr_count == CRPC_TARGET_MAX_ADDRS ||
        !parse_ip(p, len, family, &out->addrs[out->addr_count]))
      return crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                             "bad address \"%.*s\" in target", (int)len, p);
    out->addr_count++;
    p += len + (comma != NULL);
  }
  if (out->addr_count == 0)
    return crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                           "target names no address");
  /* :authority is the first address as written. */
  size_t first = strcspn(list, ",");
  snprintf(out->authority, sizeof(out->authority), "%.*s", (int)first, list);
  return CRPC_OK;
}

/* "host[:port]" for dns. */
static crpc_code parse_host_port(const char *s, crpc_target *out,
                                 crpc_status *why) {
  const char *port = NULL;
  size_t host_len;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (close == NULL)
      goto bad;
    host_len = (size_t)(close - s - 1);
    if (close[1] == ':')
      port = close + 2;
    else if (close[1] != '\0')
      goto bad;
    s++;
  } else {
    const char *colon = strrchr(s, ':');
    if (colon != NULL && strchr(s, ':') != colon)
      colon = NULL; /* a bare IPv6 address */
    host_len = colon != NULL ? (size_t)(colon - s) : strlen(s);
    if (colon != NULL)
      port = colon + 1;
  }
  if (host_len == 0 || host_len >= sizeof(out->host))
    goto bad;
  memcpy(out->host, s, host_len);
  out->host[host_len] = '\0';
  if (port != NULL) {
    size_t len = strlen(port);
    if (len == 0 || len >= sizeof(out->port) || strspn(port, "0123456789") != len)
      goto bad;
    strcpy(out->port, port);
  } else {
    strcpy(out->port, DEFAULT_PORT);
  }
  if (strchr(out->host, ':') != NULL)
    snprintf(out->authority, sizeof(out->authority), "[%s]:%s", out->host,
             out->port);
  else
    snprintf(out->authority, sizeof(out->authority), "%s:%s", out->host,
             out->port);
  return CRPC_OK;

bad:
  return crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                         "bad target \"%s\": expected host[:port]", s);
}

crpc_code crpc_target_parse(const char *text, crpc_target *out,
                            crpc_status *why) {
  memset(out, 0, sizeof(*out));
  if (text == NULL || *text == '\0')
    return crpc_status_set(why, CRPC_INVALID_ARGUMENT, "empty target");

  if (starts_with(text, "unix:")) {
    const char *path = text + 5;
    if (starts_with(path, "//"))
      path += 2; /* unix://absolute_path keeps its leading '/' */
    out->scheme = CRPC_TARGET_UNIX;
    if (crpc_addr_unix(path, &out->addrs[0]) != CRPC_OK)
      return crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                             "bad unix socket path in target \"%s\"", text);
    out->addr_count = 1;
    strcpy(out->authority, "localhost");
    return CRPC_OK;
  }
  if (starts_with(text, "ipv4:")) {
    out->scheme = CRPC_TARGET_IPV4;
    return parse_ip_list(text + 5, AF_INET, out, why);
  }
  if (starts_with(text, "ipv6:")) {
    out->scheme = CRPC_TARGET_IPV6;
    return parse_ip_list(text + 5, AF_INET6, out, why);
  }
  out->scheme = CRPC_TARGET_DNS;
  const char *rest = text;
  if (starts_with(text, "dns:")) {
    rest = text + 4;
    if (starts_with(rest, "//")) {
      const char *slash = strchr(rest + 2, '/');
      if (slash == NULL ||
          (size_t)(slash - rest - 2) >= sizeof(out->dns_server))
        return crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                               "bad target \"%s\": dns://server/host", text);
      memcpy(out->dns_server, rest + 2, (size_t)(slash - rest - 2));
      rest = slash + 1;
    }
  }
  return parse_host_port(rest, out, why);
}
