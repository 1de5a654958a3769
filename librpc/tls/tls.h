/*
 * tls/tls.h: TLS as a stream over a stream, on OpenSSL 3.
 *
 * The only code that includes OpenSSL, built into librpc-tls, never into
 * librpc. A crpc_tls_ctx is one SSL_CTX built from crpc_tls_opts, shared
 * by every connection made with it; a TLS stream is one SSL over a lower
 * stream (the socket), reading and writing it through a BIO, so that
 * HTTP/2 above sees plain bytes (transport/stream.h) and the socket below
 * sees records. Its peer_identity op tells a server who a verified client
 * is.
 *
 * Policy, the same everywhere: TLS 1.2 at least (1.3 preferred), AEAD
 * ECDHE suites for 1.2 (RFC 9113 9.2), ALPN "h2" required both ways, SNI
 * and hostname verification on clients, no renegotiation, no session
 * tickets. Contexts are immutable once made and safe to share between
 * threads; a stream belongs to its loop thread.
 */
#ifndef CRPC_TLS_TLS_H
#define CRPC_TLS_TLS_H

#include <stdbool.h>

#include "crpc/tls.h"
#include "transport/stream.h"

/* Default of crpc_tls_opts_set_handshake_timeout_ms. */
#define CRPC_TLS_HANDSHAKE_TIMEOUT_MS 20000

/* The public crpc_tls_opts: every string is owned (crpc_mem). */
struct crpc_tls_opts {
  char *ca_file;
  char *ca_pem;
  size_t ca_pem_len;
  char *cert_file;
  char *key_file;
  char *cert_pem;
  size_t cert_pem_len;
  char *key_pem;
  size_t key_pem_len;
  char *server_name;
  bool require_client_cert;
  int64_t handshake_timeout_ms;
};

/* Deep copy into a zeroed |dst|. RESOURCE_EXHAUSTED when out of memory. */
crpc_code crpc_tls_opts_copy(crpc_tls_opts *dst, const crpc_tls_opts *src);
/* Frees what |opts| owns and zeroes it. */
void crpc_tls_opts_clear(crpc_tls_opts *opts);

typedef struct crpc_tls_ctx crpc_tls_ctx;

/*
 * Builds a client or server context from |opts|, reading any files now.
 * INVALID_ARGUMENT with |why| naming the file or the problem,
 * RESOURCE_EXHAUSTED when out of memory.
 */
crpc_code crpc_tls_ctx_new(crpc_tls_ctx **out, const crpc_tls_opts *opts,
                           bool is_server, crpc_status *why);
/* Frees the context; streams made from it keep what they need. */
void crpc_tls_ctx_free(crpc_tls_ctx *ctx);

/*
 * A TLS stream over |lower|, which it owns on success. Clients pass the
 * |server_name| to send as SNI (unless an IP address) and to verify the
 * certificate against; servers pass NULL. The handshake runs on the first
 * crpc_stream_handshake() calls, within |handshake_timeout_ms|.
 */
crpc_code crpc_tls_stream_new(crpc_stream **out, crpc_tls_ctx *ctx,
                              crpc_stream *lower, const char *server_name,
                              int64_t handshake_timeout_ms, crpc_status *why);

#endif /* CRPC_TLS_TLS_H */
