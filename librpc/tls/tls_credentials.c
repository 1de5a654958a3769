/*
 * tls/tls_credentials.c: the TLS constructors of channel and server
 * credentials (the public crpc/tls.h) and the credentials ops through
 * which librpc's connect and accept wrap sockets in TLS
 * (tls/credentials.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "tls/credentials.h"
#include "tls/tls.h"

typedef struct {
  crpc_tls_ctx *ctx;
  char *server_name; /* override, or NULL */
  int64_t handshake_timeout_ms;
} tls_channel;

typedef struct {
  pthread_mutex_t mu; /* guards the rest: reload swaps them */
  crpc_tls_ctx *ctx;
  crpc_tls_opts opts; /* what ctx was made from, for reload */
} tls_server;

/* Channels. */

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

static crpc_code channel_wrap(void *impl, crpc_stream *lower,
                              const char *authority, crpc_stream **out,
                              crpc_status *why) {
  tls_channel *c = impl;
  char host[256];
  if (c->server_name != NULL)
    snprintf(host, sizeof(host), "%s", c->server_name);
  else
    host_of(authority, host, sizeof(host));
  return crpc_tls_stream_new(out, c->ctx, lower, host, c->handshake_timeout_ms,
                             why);
}

static void channel_free(void *impl) {
  tls_channel *c = impl;
  if (c == NULL)
    return;
  crpc_tls_ctx_free(c->ctx);
  crpc_mem_free(c->server_name);
  crpc_mem_free(c);
}

static const crpc_credentials_ops channel_ops = {
    .wrap = channel_wrap,
    .free = channel_free,
};

CRPC_API crpc_code
crpc_channel_credentials_new_tls(crpc_channel_credentials **out,
                                 const crpc_tls_opts *opts, crpc_status *why) {
  crpc_tls_opts defaults = {.handshake_timeout_ms =
                                CRPC_TLS_HANDSHAKE_TIMEOUT_MS};
  tls_channel *c = crpc_mem_calloc(1, sizeof(*c));
  crpc_code code;
  if (opts == NULL)
    opts = &defaults;
  if (c == NULL)
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  if ((code = crpc_tls_ctx_new(&c->ctx, opts, false, why)) != CRPC_OK)
    goto fail;
  c->handshake_timeout_ms = opts->handshake_timeout_ms;
  if ((opts->server_name != NULL &&
       (c->server_name = crpc_mem_strdup(opts->server_name)) == NULL) ||
      crpc_channel_credentials_new_ops(out, &channel_ops, c) != CRPC_OK) {
    code = crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    goto fail;
  }
  return CRPC_OK;

fail:
  channel_free(c);
  return code;
}

/* Servers. */

static crpc_code server_wrap(void *impl, crpc_stream *lower,
                             const char *authority, crpc_stream **out,
                             crpc_status *why) {
  tls_server *c = impl;
  pthread_mutex_lock(&c->mu);
  crpc_code code = crpc_tls_stream_new(out, c->ctx, lower, NULL,
                                       c->opts.handshake_timeout_ms, why);
  pthread_mutex_unlock(&c->mu);
  return code;
}

static void server_free(void *impl) {
  tls_server *c = impl;
  if (c == NULL)
    return;
  crpc_tls_ctx_free(c->ctx);
  crpc_tls_opts_clear(&c->opts);
  pthread_mutex_destroy(&c->mu);
  crpc_mem_free(c);
}

static const crpc_credentials_ops server_ops = {
    .wrap = server_wrap,
    .free = server_free,
};

CRPC_API crpc_code
crpc_server_credentials_new_tls(crpc_server_credentials **out,
                                const crpc_tls_opts *opts, crpc_status *why) {
  tls_server *c;
  crpc_code code;
  if (opts == NULL)
    return crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                           "TLS server credentials need options with a "
                           "certificate and a private key");
  if ((c = crpc_mem_calloc(1, sizeof(*c))) == NULL)
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
  pthread_mutex_init(&c->mu, NULL);
  if ((code = crpc_tls_ctx_new(&c->ctx, opts, true, why)) != CRPC_OK)
    goto fail;
  if (crpc_tls_opts_copy(&c->opts, opts) != CRPC_OK ||
      crpc_server_credentials_new_ops(out, &server_ops, c) != CRPC_OK) {
    code = crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    goto fail;
  }
  return CRPC_OK;

fail:
  server_free(c);
  return code;
}

CRPC_API crpc_code
crpc_server_credentials_reload(crpc_server_credentials *creds,
                               const crpc_tls_opts *opts, crpc_status *why) {
  tls_server *c = crpc_server_credentials_impl(creds, &server_ops);
  crpc_tls_opts copy;
  crpc_tls_ctx *ctx, *old;
  crpc_code code;
  if (c == NULL)
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
