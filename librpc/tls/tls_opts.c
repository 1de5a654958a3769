/*
 * tls/tls_opts.c: crpc_tls_opts, the settings TLS credentials are made
 * from (the public crpc/tls.h), kept as owned copies so that server
 * credentials can build their context again on reload.
 */
#include "tls/tls.h"

#include <string.h>

#include "base/mem.h"

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
  /* Lengths and flags; no pointer of |s| stays, so that a failure part-way
   * frees only copies. */
  *d = *s;
  d->ca_file = d->ca_pem = d->cert_file = d->key_file = NULL;
  d->cert_pem = d->key_pem = d->server_name = NULL;
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

/* Replaces this side's certificate chain and key with copies of |cert|
 * and |key|: file paths, or PEM text. */
static crpc_code set_identity(crpc_tls_opts *o, const char *cert,
                              size_t cert_len, const char *key, size_t key_len,
                              bool are_paths) {
  char *cert_copy, *key_copy;
  if (!dup_bytes(&cert_copy, cert, cert_len))
    return CRPC_RESOURCE_EXHAUSTED;
  if (!dup_bytes(&key_copy, key, key_len)) {
    crpc_mem_free(cert_copy);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  crpc_mem_free(o->cert_file);
  crpc_mem_free(o->key_file);
  crpc_mem_free(o->cert_pem);
  crpc_mem_free(o->key_pem);
  o->cert_file = o->key_file = o->cert_pem = o->key_pem = NULL;
  o->cert_pem_len = o->key_pem_len = 0;
  if (are_paths) {
    o->cert_file = cert_copy;
    o->key_file = key_copy;
  } else {
    o->cert_pem = cert_copy;
    o->cert_pem_len = cert_len;
    o->key_pem = key_copy;
    o->key_pem_len = key_len;
  }
  return CRPC_OK;
}

CRPC_API crpc_code crpc_tls_opts_set_cert_files(crpc_tls_opts *o,
                                                const char *cert_chain_path,
                                                const char *key_path) {
  if (cert_chain_path == NULL || key_path == NULL)
    return CRPC_INVALID_ARGUMENT;
  return set_identity(o, cert_chain_path, strlen(cert_chain_path), key_path,
                      strlen(key_path), true);
}

CRPC_API crpc_code crpc_tls_opts_set_cert_pem(crpc_tls_opts *o,
                                              const char *cert_chain_pem,
                                              size_t cert_len,
                                              const char *key_pem,
                                              size_t key_len) {
  if (cert_chain_pem == NULL || key_pem == NULL)
    return CRPC_INVALID_ARGUMENT;
  return set_identity(o, cert_chain_pem, cert_len, key_pem, key_len, false);
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
