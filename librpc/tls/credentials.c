/*
 * tls/credentials.c: TLS options and channel/server credentials (the
 * public crpc/credentials.h), and the streams they make for connections.
 */
#include "tls/credentials.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "tls/tls.h"
#include "transport/socket.h"

struct crpc_channel_credentials {
  atomic_int refs;
  crpc_tls_ctx *ctx; /* NULL: insecure */
  char *server_name; /* override, or NULL */
  int64_t handshake_timeout_ms;
};

struct crpc_server_credentials {
  atomic_int refs;
  bool is_tls;
  pthread_mutex_t mu; /* guards the rest: reload swaps them */
  crpc_tls_ctx *ctx;
  crpc_tls_opts opts; /* what ctx was made from, for reload */
};

/* Options. */

CRPC_API crpc_code crpc_tls_opts_new(crpc_tls_opts **out) {
  crpc_tls_opts *opts = crpc_mem_calloc(1, sizeof(*opts));
  if (opts == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  opts->handshake_timeout_ms = CRPC_TLS_HANDSHAKE_TIMEOUT_MS;
  *out = opts;
  return CRPC_OK;
}

void crpc_tls_opts_clear(crpc_tls_opts *o) {
  crpc_mem_free(o->ca_file);
  crpc_mem_free(o->ca_pem);
  crpc_mem_free(o->cert_file);
  crpc_mem_free(o->key_file);
  crpc_mem_free(o->cert_pem);
  crpc_mem_free(o->key_pem);
  crpc_mem_free(o->server_name);
  memset(o, 0, sizeof(*o));
}

CRPC_API void crpc_tls_opts_free(crpc_tls_opts *opts) {
  if (opts == NULL)
    return;
  crpc_tls_opts_clear(opts);
  crpc_mem_free(opts);
}

/* A copy of |len| bytes of |s|, NUL-terminated; NULL stays NULL. */
static bool dup_bytes(char **dst, const char *s, size_t len) {
  *dst = NULL;
  if (s == NULL)
    return true;
  *dst = crpc_mem_malloc(len + 1);
  if (*dst == NULL)
    return false;
  memcpy(*dst, s, len);
  (*dst)[len] = '\0';
  return true;
}

crpc_code crpc_tls_opts_copy(crpc_tls_opts *d, const crpc_tls_opts *s) {
  *d = *s;
  if (!dup_bytes(&d->ca_file, s->ca_file,
                 s->ca_file ? strlen(s->ca_file) : 0) ||
      !dup_bytes(&d->ca_pem, s->ca_pem, s->ca_pem_len) ||
      !dup_bytes(&d->cert_file, s->cert_file,
                 s->cert_file ? strlen(s->cert_file) : 0) ||
      !dup_bytes(&d->key_file, s->key_file,
                 s->key_file ? strlen(s->key_file) : 0) ||
      !dup_bytes(&d->cert_pem, s->cert_pem, s->cert_pem_len) ||
      !dup_bytes(&d->key_pem, s->key_pem, s->key_pem_len) ||
      !dup_bytes(&d->server_name, s->server_name,
                 s->server_name ? strlen(s->server_name) : 0)) {
    crpc_tls_opts_clear(d);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  return CRPC_OK;
}

/* Replaces *field with a copy of |s| (|len| bytes). */
static crpc_code set_bytes(char **field, const char *s, size_t len) {
  char *copy;
  if (!dup_bytes(&copy, s, len))
    return CRPC_RESOURCE_EXHAUSTED;
  crpc_mem_free(*field);
  *field = copy;
  return CRPC_OK;
}

CRPC_API crpc_code crpc_tls_opts_set_ca_file(crpc_tls_opts *o,
                                             const char *path) {
  if (path == NULL)
    return CRPC_INVALID_ARGUMENT;
  crpc_code code = set_bytes(&o->ca_file, path, strlen(path));
  if (code == CRPC_OK) {
    crpc_mem_free(o->ca_pem);
    o->ca_pem = NULL;
    o->ca_pem_len = 0;
  }
  return code;
}

CRPC_API crpc_code crpc_tls_opts_set_ca_pem(crpc_tls_opts *o, const char *pem,
                                            size_t len) {
  if (pem == NULL)
    return CRPC_INVALID_ARGUMENT;
  crpc_code code = set_bytes(&o->ca_pem, pem, len);
  if (code == CRPC_OK) {
    o->ca_pem_len = len;
    crpc_mem_free(o->ca_file);
    o->ca_file = NULL;
  }
  return code;
}

CRPC_API crpc_code crpc_tls_opts_set_cert_files(crpc_tls_opts *o,
                                                const char *cert_chain_path,
                                                const char *key_path) {
  char *cert, *key;
  if (cert_chain_path == NULL || key_path == NULL)
    return CRPC_INVALID_ARGUMENT;
  if (!dup_bytes(&cert, cert_chain_path, strlen(cert_chain_path)))
    return CRPC_RESOURCE_EXHAUSTED;
  if (!dup_bytes(&key, key_path, strlen(key_path))) {
    crpc_mem_free(cert);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  crpc_mem_free(o->cert_file);
  crpc_mem_free(o->key_file);
  crpc_mem_free(o->cert_pem);
  crpc_mem_free(o->key_pem);
  o->cert_file = cert;
  o->key_file = key;
  o->cert_pem = o->key_pem = NULL;
  o->cert_pem_len = o->key_pem_len = 0;
  return CRPC_OK;
}

CRPC_API crpc_code crpc_tls_opts_set_cert_pem(crpc_tls_opts *o,
                                              const char *cert_chain_pem,
                                              size_t cert_len,
                                              const char *key_pem,
                                              size_t key_len) {
  char *cert, *key;
  if (cert_chain_pem == NULL || key_pem == NULL)
    return CRPC_INVALID_ARGUMENT;
  if (!dup_bytes(&cert, cert_chain_pem, cert_len))
    return CRPC_RESOURCE_EXHAUSTED;
  if (!dup_bytes(&key, key_pem, key_len)) {
    crpc_mem_free(cert);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  crpc_mem_free(o->cert_file);
  crpc_mem_free(o->key_file);
  crpc_mem_free(o->cert_pem);
  crpc_mem_free(o->key_pem);
  o->cert_file = o->key_file = NULL;
  o->cert_pem = cert;
  o->cert_pem_len = cert_len;
  o->key_pem = key;
  o->key_pem_len = key_len;
  return CRPC_OK;
}

CRPC_API crpc_code crpc_tls_opts_set_server_name_override(crpc_tls_opts *o,
                                                          const char *name) {
  if (name == NULL || *name == '\0')
    return CRPC_INVALID_ARGUMENT;
  return set_bytes(&o->server_name, name, strlen(name));
}

CRPC_API void crpc_tls_opts_set_require_client_cert(crpc_tls_opts *o,
                                                    bool require) {
  o->require_client_cert = require;
}

CRPC_API void crpc_tls_opts_set_handshake_timeout_ms(crpc_tls_opts *o,
                                                     int64_t timeout_ms) {
  o->handshake_timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

/* Channel credentials. */

CRPC_API crpc_code
crpc_channel_credentials_new_insecure(crpc_channel_credentials **out) {
  crpc_channel_credentials *c = crpc_mem_calloc(1, sizeof(*c));
  if (c == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  atomic_init(&c->refs, 1);
  *out = c;
  return CRPC_OK;
}

CRPC_API crpc_code
crpc_channel_credentials_new_tls(crpc_channel_credentials **out,
                                 const crpc_tls_opts *opts, crpc_status *why) {
  crpc_tls_opts defaults = {.handshake_timeout_ms =
                                CRPC_TLS_HANDSHAKE_TIMEOUT_MS};
  crpc_channel_credentials *c = crpc_mem_calloc(1, sizeof(*c));
  crpc_code code;
  if (opts == NULL)
    opts = &defaults;
  if (c == NULL)
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  if ((code = crpc_tls_ctx_new(&c->ctx, opts, false, why)) != CRPC_OK)
    goto fail;
  if (opts->server_name != NULL &&
      (c->server_name = crpc_mem_strdup(opts->server_name)) == NULL) {
    code = crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    goto fail;
  }
  c->handshake_timeout_ms = opts->handshake_timeout_ms;
  atomic_init(&c->refs, 1);
  *out = c;
  return CRPC_OK;

fail:
  crpc_tls_ctx_free(c->ctx);
  crpc_mem_free(c);
  return code;
}

crpc_channel_credentials *
crpc_channel_credentials_ref(const crpc_channel_credentials *creds) {
  crpc_channel_credentials *c = (crpc_channel_credentials *)creds;
  if (c != NULL)
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
  return c;
}

CRPC_API void crpc_channel_credentials_free(crpc_channel_credentials *c) {
  if (c == NULL ||
      atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
    return;
  crpc_tls_ctx_free(c->ctx);
  crpc_mem_free(c->server_name);
  crpc_mem_free(c);
}

/* Server credentials. */

static crpc_code server_creds_new(crpc_server_credentials **out, bool is_tls,
                                  const crpc_tls_opts *opts, crpc_status *why) {
  crpc_server_credentials *c = crpc_mem_calloc(1, sizeof(*c));
  crpc_code code;
  if (c == NULL)
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  if (is_tls) {
    if ((code = crpc_tls_ctx_new(&c->ctx, opts, true, why)) != CRPC_OK)
      goto fail;
    if (crpc_tls_opts_copy(&c->opts, opts) != CRPC_OK) {
      code = crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
      goto fail;
    }
  }
  c->is_tls = is_tls;
  atomic_init(&c->refs, 1);
  pthread_mutex_init(&c->mu, NULL);
  *out = c;
  return CRPC_OK;

fail:
  crpc_tls_ctx_free(c->ctx);
  crpc_mem_free(c);
  return code;
}

CRPC_API crpc_code
crpc_server_credentials_new_insecure(crpc_server_credentials **out) {
  return server_creds_new(out, false, NULL, NULL);
}

CRPC_API crpc_code
crpc_server_credentials_new_tls(crpc_server_credentials **out,
                                const crpc_tls_opts *opts, crpc_status *why) {
  if (opts == NULL)
    return crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                           "TLS server credentials need options with a "
                           "certificate and a private key");
  return server_creds_new(out, true, opts, why);
}

CRPC_API crpc_code crpc_server_credentials_reload(crpc_server_credentials *c,
                                                  const crpc_tls_opts *opts,
                                                  crpc_status *why) {
  crpc_tls_opts copy;
  crpc_tls_ctx *ctx, *old;
  crpc_code code;
  if (c == NULL || !c->is_tls)
    return crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                           "only TLS credentials have certificates to reload");
  /* Build outside the lock: accepting goes on with the old context while
   * files are read; the lock only covers the swap. */
  pthread_mutex_lock(&c->mu);
  code = crpc_tls_opts_copy(&copy, opts != NULL ? opts : &c->opts);
  pthread_mutex_unlock(&c->mu);
  if (code != CRPC_OK)
    return crpc_status_set(why, code, "out of memory");
  if ((code = crpc_tls_ctx_new(&ctx, &copy, true, why)) != CRPC_OK) {
    crpc_tls_opts_clear(&copy);
    return code;
  }
  pthread_mutex_lock(&c->mu);
  old = c->ctx;
  c->ctx = ctx;
  crpc_tls_opts_clear(&c->opts);
  c->opts = copy;
  pthread_mutex_unlock(&c->mu);
  crpc_tls_ctx_free(old);
  return CRPC_OK;
}

crpc_server_credentials *
crpc_server_credentials_ref(const crpc_server_credentials *creds) {
  crpc_server_credentials *c = (crpc_server_credentials *)creds;
  if (c != NULL)
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
  return c;
}

CRPC_API void crpc_server_credentials_free(crpc_server_credentials *c) {
  if (c == NULL ||
      atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
    return;
  crpc_tls_ctx_free(c->ctx);
  crpc_tls_opts_clear(&c->opts);
  pthread_mutex_destroy(&c->mu);
  crpc_mem_free(c);
}

/* Streams for connections. */

/* The host of "host:port", "[v6]:port" or "host", into |out|. */
static void host_of(const char *authority, char *out, size_t cap) {
  const char *end;
  if (authority[0] == '[' && (end = strchr(authority, ']')) != NULL) {
    snprintf(out, cap, "%.*s", (int)(end - authority - 1), authority + 1);
    return;
  }
  end = strrchr(authority, ':');
  if (end == NULL || strchr(authority, ':') != end) /* none, or bare v6 */
    end = authority + strlen(authority);
  snprintf(out, cap, "%.*s", (int)(end - authority), authority);
}

crpc_code crpc_credentials_connect(const crpc_channel_credentials *creds,
                                   const crpc_addr *addr, const char *authority,
                                   crpc_stream **out, crpc_status *why) {
  char text[CRPC_ADDR_TEXT_MAX], host[256];
  crpc_stream *s, *tls;
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
  if (creds == NULL || creds->ctx == NULL) {
    *out = s;
    return CRPC_OK;
  }
  if (creds->server_name != NULL)
    snprintf(host, sizeof(host), "%s", creds->server_name);
  else
    host_of(authority, host, sizeof(host));
  crpc_code code = crpc_tls_stream_new(&tls, creds->ctx, s, host,
                                       creds->handshake_timeout_ms, why);
  if (code != CRPC_OK) {
    crpc_stream_free(s);
    return code == CRPC_INVALID_ARGUMENT ? CRPC_UNAVAILABLE : code;
  }
  *out = tls;
  return CRPC_OK;
}

crpc_code crpc_credentials_accept(const crpc_server_credentials *creds, int fd,
                                  crpc_stream **out, crpc_status *why) {
  crpc_server_credentials *c = (crpc_server_credentials *)creds;
  crpc_stream *s = crpc_stream_socket_new(fd), *tls;
  crpc_code code = CRPC_OK;
  if (s == NULL)
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  if (c == NULL || !c->is_tls) {
    *out = s;
    return CRPC_OK;
  }
  pthread_mutex_lock(&c->mu);
  code = crpc_tls_stream_new(&tls, c->ctx, s, NULL,
                             c->opts.handshake_timeout_ms, why);
  pthread_mutex_unlock(&c->mu);
  if (code != CRPC_OK) {
    crpc_mem_free(s); /* the caller still owns fd */
    return code;
  }
  *out = tls;
  return CRPC_OK;
}
