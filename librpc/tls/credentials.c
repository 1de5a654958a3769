/*
 * tls/credentials.c: channel and server credentials (the public
 * crpc/credentials.h) and the streams they make for connections. Insecure
 * credentials are credentials without ops; TLS ones come from librpc-tls
 * (tls/tls_credentials.c) with the ops that wrap each socket in TLS.
 */
#include "tls/credentials.h"

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "transport/socket.h"

/* What both kinds hold; the public types differ only to keep channels and
 * servers from taking each other's. */
typedef struct {
  atomic_int refs;
  const crpc_credentials_ops *ops; /* NULL: insecure */
  void *impl;
} creds_base;

struct crpc_channel_credentials {
  creds_base c;
};

struct crpc_server_credentials {
  creds_base c;
};

/* |size| bytes starting with a creds_base holding one reference. */
static void *creds_new(size_t size, const crpc_credentials_ops *ops,
                       void *impl) {
  creds_base *c = crpc_mem_calloc(1, size);
  if (c == NULL)
    return NULL;
  atomic_init(&c->refs, 1);
  c->ops = ops;
  c->impl = impl;
  return c;
}

static void *creds_ref(const creds_base *cc) {
  creds_base *c = (creds_base *)cc;
  if (c != NULL)
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
  return c;
}

static void creds_unref(creds_base *c) {
  if (c == NULL ||
      atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
    return;
  if (c->ops != NULL)
    c->ops->free(c->impl);
  crpc_mem_free(c);
}

/* Channel credentials. */

CRPC_API crpc_code
crpc_channel_credentials_new_insecure(crpc_channel_credentials **out) {
  return crpc_channel_credentials_new_ops(out, NULL, NULL);
}

crpc_code crpc_channel_credentials_new_ops(crpc_channel_credentials **out,
                                           const crpc_credentials_ops *ops,
                                           void *impl) {
  crpc_channel_credentials *c = creds_new(sizeof(*c), ops, impl);
  if (c == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  *out = c;
  return CRPC_OK;
}

crpc_channel_credentials *
crpc_channel_credentials_ref(const crpc_channel_credentials *creds) {
  return creds_ref(creds != NULL ? &creds->c : NULL);
}

CRPC_API void crpc_channel_credentials_free(crpc_channel_credentials *c) {
  creds_unref(c != NULL ? &c->c : NULL);
}

/* Server credentials. */

CRPC_API crpc_code
crpc_server_credentials_new_insecure(crpc_server_credentials **out) {
  return crpc_server_credentials_new_ops(out, NULL, NULL);
}

crpc_code crpc_server_credentials_new_ops(crpc_server_credentials **out,
                                          const crpc_credentials_ops *ops,
                                          void *impl) {
  crpc_server_credentials *c = creds_new(sizeof(*c), ops, impl);
  if (c == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  *out = c;
  return CRPC_OK;
}

void *crpc_server_credentials_impl(const crpc_server_credentials *creds,
                                   const crpc_credentials_ops *ops) {
  return creds != NULL && ops != NULL && creds->c.ops == ops ? creds->c.impl
                                                             : NULL;
}

crpc_server_credentials *
crpc_server_credentials_ref(const crpc_server_credentials *creds) {
  return creds_ref(creds != NULL ? &creds->c : NULL);
}

CRPC_API void crpc_server_credentials_free(crpc_server_credentials *c) {
  creds_unref(c != NULL ? &c->c : NULL);
}

/* Streams for connections. */

crpc_code crpc_credentials_connect(const crpc_channel_credentials *creds,
                                   const crpc_addr *addr, const char *authority,
                                   crpc_stream **out, crpc_status *why) {
  char text[CRPC_ADDR_TEXT_MAX];
  crpc_stream *s;
  int fd = crpc_socket_connect(addr);
  if (fd < 0) {
    crpc_addr_format(addr, text);
    return crpc_status_set(why, CRPC_UNAVAILABLE, "cannot connect to %s: %s",
                           text, strerror(-fd));
  }
  if ((s = crpc_stream_socket_new(fd)) == NULL) {
    close(fd);
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  }
  if (creds == NULL || creds->c.ops == NULL) {
    *out = s;
    return CRPC_OK;
  }
  crpc_code code = creds->c.ops->wrap(creds->c.impl, s, authority, out, why);
  if (code != CRPC_OK) {
    crpc_stream_free(s);
    /* A name the peer cannot be checked against: this address fails. */
    return code == CRPC_INVALID_ARGUMENT ? CRPC_UNAVAILABLE : code;
  }
  return CRPC_OK;
}

crpc_code crpc_credentials_accept(const crpc_server_credentials *creds, int fd,
                                  crpc_stream **out, crpc_status *why) {
  crpc_stream *s = crpc_stream_socket_new(fd);
  if (s == NULL)
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  if (creds == NULL || creds->c.ops == NULL) {
    *out = s;
    return CRPC_OK;
  }
  crpc_code code = creds->c.ops->wrap(creds->c.impl, s, NULL, out, why);
  if (code != CRPC_OK)
    crpc_mem_free(s); /* the caller still owns fd */
  return code;
}
