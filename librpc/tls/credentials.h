/*
 * tls/credentials.h: what channels and servers need from credentials, and
 * the ops through which the TLS library secures connections.
 *
 * Credentials objects are reference counted: the application's handle is
 * one reference, and every channel or server (or options object) they are
 * set on holds another. This part is in librpc: insecure credentials are
 * credentials without ops. TLS credentials (tls/tls_credentials.c) are
 * made in librpc-tls, which links OpenSSL, and carry ops that wrap each
 * connection's socket stream; librpc only calls through them, so programs
 * that never make TLS credentials never load OpenSSL.
 */
#ifndef CRPC_TLS_CREDENTIALS_H
#define CRPC_TLS_CREDENTIALS_H

#include "base/export.h"
#include "crpc/credentials.h"
#include "transport/addr.h"
#include "transport/stream.h"

typedef struct crpc_credentials_ops {
  /*
   * Wraps |lower|, a new connection's socket stream, in the stream to speak
   * HTTP/2 on; takes ownership of |lower| on success only. |authority| is
   * the channel's ("host:port", "[v6]:port", "host") for a client, NULL for
   * a server. A code with |why| set on failure. Any thread.
   */
  crpc_code (*wrap)(void *impl, crpc_stream *lower, const char *authority,
                    crpc_stream **out, crpc_status *why);
  /* Frees |impl| once the last reference is gone. */
  void (*free)(void *impl);
} crpc_credentials_ops;

/*
 * Credentials that secure connections through |ops| with |impl|, which
 * they own on success (freed by ops->free). RESOURCE_EXHAUSTED when out of
 * memory.
 */
CRPC_INTERNAL_API crpc_code
crpc_channel_credentials_new_ops(crpc_channel_credentials **out,
                                 const crpc_credentials_ops *ops, void *impl);
CRPC_INTERNAL_API crpc_code crpc_server_credentials_new_ops(
    crpc_server_credentials **out, const crpc_credentials_ops *ops, void *impl);

/* The impl of |creds| if they were made with |ops|, else NULL. */
CRPC_INTERNAL_API void *
crpc_server_credentials_impl(const crpc_server_credentials *creds,
                             const crpc_credentials_ops *ops);

/* Another reference; NULL stays NULL. Any thread. */
crpc_channel_credentials *
crpc_channel_credentials_ref(const crpc_channel_credentials *creds);
crpc_server_credentials *
crpc_server_credentials_ref(const crpc_server_credentials *creds);

/*
 * Starts connecting to |addr| and returns the stream to speak HTTP/2 on:
 * the socket itself, or what the credentials' ops wrap it in (TLS sending
 * SNI and verifying the host of |authority|). |creds| NULL is insecure.
 * UNAVAILABLE with |why| if the connect or its wrapping fails at once,
 * RESOURCE_EXHAUSTED when out of memory.
 */
crpc_code crpc_credentials_connect(const crpc_channel_credentials *creds,
                                   const crpc_addr *addr, const char *authority,
                                   crpc_stream **out, crpc_status *why);

/*
 * The stream for an accepted socket |fd|, which it owns on success; with
 * TLS, made from the credentials' current certificates. |creds| NULL is
 * insecure. RESOURCE_EXHAUSTED when out of memory. Any thread.
 */
crpc_code crpc_credentials_accept(const crpc_server_credentials *creds, int fd,
                                  crpc_stream **out, crpc_status *why);

#endif /* CRPC_TLS_CREDENTIALS_H */
