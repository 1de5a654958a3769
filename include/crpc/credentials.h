/*
 * crpc/credentials.h: how channels and servers secure their connections.
 *
 * Credentials say how a connection is secured, in the spirit of gRPC's
 * grpc::ChannelCredentials / grpc::ServerCredentials: insecure (plaintext
 * HTTP/2, the default) or TLS. This header, in librpc, has what every
 * program may use: insecure credentials, setting credentials on channel
 * and server options, and a client's verified identity inside a handler.
 * TLS and mutual TLS credentials are made by crpc/tls.h, in the separate
 * librpc-tls library (pkg-config librpc-tls), so that programs without TLS
 * never load OpenSSL. doc/tls.md shows set-ups.
 *
 * Credentials are immutable (TLS server credentials excepted:
 * crpc_server_credentials_reload()) and safe to share between threads,
 * channels and servers. The channel or server options they are set on
 * hold their own reference, so the application may free its handle as
 * soon as they are set.
 */
#ifndef CRPC_CREDENTIALS_H
#define CRPC_CREDENTIALS_H

#include <stdbool.h>

#include "channel.h"
#include "common.h"
#include "server.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct crpc_channel_credentials crpc_channel_credentials;
typedef struct crpc_server_credentials crpc_server_credentials;

/*
 * Insecure channel credentials: plaintext, the default of a channel
 * without credentials. TLS ones: crpc_channel_credentials_new_tls()
 * (crpc/tls.h). RESOURCE_EXHAUSTED when out of memory; *out is untouched
 * on failure.
 */
CRPC_API crpc_code
crpc_channel_credentials_new_insecure(crpc_channel_credentials **out);
/* Drops the application's reference. NULL is a no-op. */
CRPC_API void crpc_channel_credentials_free(crpc_channel_credentials *creds);

/* Insecure server credentials; TLS ones: crpc_server_credentials_new_tls()
 * (crpc/tls.h). Codes as for channel credentials. */
CRPC_API crpc_code
crpc_server_credentials_new_insecure(crpc_server_credentials **out);
/* Drops the application's reference. NULL is a no-op. */
CRPC_API void crpc_server_credentials_free(crpc_server_credentials *creds);

/* Secures the channel's connections (default insecure). NULL resets. */
CRPC_API void
crpc_channel_opts_set_credentials(crpc_channel_opts *opts,
                                  const crpc_channel_credentials *creds);

/* Secures the server's accepted connections (default insecure). */
CRPC_API void
crpc_server_opts_set_credentials(crpc_server_opts *opts,
                                 const crpc_server_credentials *creds);

/*
 * Who the client is, from a certificate the server verified: the subject
 * in RFC 2253 form ("CN=orders,O=Example") and the subject alternative
 * names, each prefixed by its kind: "DNS:orders.internal",
 * "URI:spiffe://example.org/orders", "IP:10.0.0.7", "email:ops@example.org".
 */
typedef struct crpc_peer_identity {
  const char *subject;
  const char *const *sans;
  size_t san_count;
} crpc_peer_identity;

/*
 * Inside a handler: the client's verified identity, or NULL when the
 * connection is plaintext or the client sent no certificate. Valid for the
 * call's life, so a handler can authorize per method:
 *
 *   const crpc_peer_identity *id = crpc_server_call_peer_identity(call);
 *   if (id == NULL || strcmp(id->subject, "CN=admin") != 0)
 *     return crpc_server_call_fail(call, CRPC_PERMISSION_DENIED, "admins");
 */
CRPC_API const crpc_peer_identity *
crpc_server_call_peer_identity(const crpc_server_call *call);

#ifdef __cplusplus
}
#endif

#endif /* CRPC_CREDENTIALS_H */
