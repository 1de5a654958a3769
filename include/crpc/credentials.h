/*
 * crpc/credentials.h: TLS and mutual TLS for channels and servers.
 *
 * Credentials say how a connection is secured, in the spirit of gRPC's
 * grpc::SslCredentials / grpc::SslServerCredentials: insecure (plaintext
 * HTTP/2, the default) or TLS on OpenSSL 3, TLS 1.2 at least, 1.3
 * preferred, with ALPN "h2" required on both sides (a peer that does not
 * negotiate it is refused). A TLS channel sends SNI and verifies the
 * server's certificate and hostname; a TLS server may require client
 * certificates (mutual TLS) and show a verified client's identity to its
 * handlers. doc/tls.md shows set-ups and how to make dev certificates.
 *
 * Credentials are built from crpc_tls_opts, are immutable (server
 * credentials excepted: crpc_server_credentials_reload()) and safe to
 * share between threads, channels and servers. Each keeps one OpenSSL
 * context that all its connections share. The channel or server options
 * they are set on hold their own reference, so the application may free
 * its handle as soon as they are set.
 *
 * A connection whose handshake fails (untrusted or expired certificate,
 * wrong hostname, missing client certificate, no ALPN h2, a plaintext
 * peer, a timeout) fails that connection only: its calls end UNAVAILABLE
 * with a message naming the reason, and a server logs a warning line and
 * serves everyone else.
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

typedef struct crpc_tls_opts crpc_tls_opts;
typedef struct crpc_channel_credentials crpc_channel_credentials;
typedef struct crpc_server_credentials crpc_server_credentials;

/* TLS settings, all optional. RESOURCE_EXHAUSTED when out of memory. */
CRPC_API crpc_code crpc_tls_opts_new(crpc_tls_opts **out);
CRPC_API void crpc_tls_opts_free(crpc_tls_opts *opts);

/*
 * Trust roots: the CA certificates (PEM, one or more) that peers'
 * certificates must chain to. A channel without them trusts the system
 * store (OpenSSL's default paths); a server with them requests client
 * certificates and verifies those presented. The file is read when
 * credentials are made (and again by crpc_server_credentials_reload());
 * the PEM text is copied. Setting one replaces the other.
 */
CRPC_API crpc_code crpc_tls_opts_set_ca_file(crpc_tls_opts *opts,
                                             const char *path);
CRPC_API crpc_code crpc_tls_opts_set_ca_pem(crpc_tls_opts *opts,
                                            const char *pem, size_t len);

/*
 * This side's certificate chain (leaf first) and private key, PEM: needed
 * by servers, and by clients of servers that require client certificates.
 * Files are read when credentials are made (and on reload); text is copied.
 */
CRPC_API crpc_code crpc_tls_opts_set_cert_files(crpc_tls_opts *opts,
                                                const char *cert_chain_path,
                                                const char *key_path);
CRPC_API crpc_code crpc_tls_opts_set_cert_pem(crpc_tls_opts *opts,
                                              const char *cert_chain_pem,
                                              size_t cert_len,
                                              const char *key_pem,
                                              size_t key_len);

/*
 * Channels: the name sent as SNI and checked against the server's
 * certificate, instead of the host of the channel's authority (the
 * target's host, or crpc_channel_opts_set_authority's). For tests, like
 * gRPC's ssl_target_name_override: "foo.test.google.fr".
 */
CRPC_API crpc_code crpc_tls_opts_set_server_name_override(crpc_tls_opts *opts,
                                                          const char *name);

/*
 * Servers: refuse clients without a certificate that chains to the trust
 * roots (mutual TLS). Needs trust roots. Default false: certificates are
 * then only verified if the client sends one and the server has roots.
 */
CRPC_API void crpc_tls_opts_set_require_client_cert(crpc_tls_opts *opts,
                                                    bool require);

/*
 * How long a connection may take from its start to a completed TLS
 * handshake before it is closed (default 20000 ms; 0 for no limit). On a
 * channel the call's own deadline applies as well.
 */
CRPC_API void crpc_tls_opts_set_handshake_timeout_ms(crpc_tls_opts *opts,
                                                     int64_t timeout_ms);

/*
 * Channel credentials. Insecure is plaintext, the default of a channel
 * without credentials. TLS with |opts| NULL trusts the system store.
 * INVALID_ARGUMENT with |why| set (if not NULL) for files that cannot be
 * read, PEM that does not parse or a key that does not match its
 * certificate; RESOURCE_EXHAUSTED when out of memory. *out is untouched
 * on failure.
 */
CRPC_API crpc_code
crpc_channel_credentials_new_insecure(crpc_channel_credentials **out);
CRPC_API crpc_code
crpc_channel_credentials_new_tls(crpc_channel_credentials **out,
                                 const crpc_tls_opts *opts, crpc_status *why);
/* Drops the application's reference. NULL is a no-op. */
CRPC_API void crpc_channel_credentials_free(crpc_channel_credentials *creds);

/*
 * Server credentials. TLS needs a certificate and key in |opts|; codes as
 * for channel credentials.
 */
CRPC_API crpc_code
crpc_server_credentials_new_insecure(crpc_server_credentials **out);
CRPC_API crpc_code crpc_server_credentials_new_tls(
    crpc_server_credentials **out, const crpc_tls_opts *opts, crpc_status *why);

/*
 * Swaps in new certificates without a restart: connections accepted from
 * now on use them, those already up keep theirs. With |opts| NULL the files
 * the credentials were made from are read again (after a certificate
 * renewal, say); otherwise |opts| replaces every TLS setting. On failure
 * (codes as crpc_server_credentials_new_tls) the old settings stay. Any
 * thread; INVALID_ARGUMENT for insecure credentials.
 */
CRPC_API crpc_code
crpc_server_credentials_reload(crpc_server_credentials *creds,
                               const crpc_tls_opts *opts, crpc_status *why);
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
