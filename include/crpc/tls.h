/*
 * crpc/tls.h: TLS and mutual TLS credentials for channels and servers.
 *
 * In the librpc-tls library, not librpc: a program that uses these links
 * it as well (pkg-config --cflags --libs librpc-tls), and only such
 * programs load OpenSSL. The credentials made here are the handles of
 * crpc/credentials.h, set on channels and servers like insecure ones.
 *
 * TLS on OpenSSL 3, in the spirit of gRPC's grpc::SslCredentials /
 * grpc::SslServerCredentials: TLS 1.2 at least, 1.3 preferred, with ALPN
 * "h2" required on both sides (a peer that does not negotiate it is
 * refused). A TLS channel sends SNI and verifies the server's certificate
 * and hostname; a TLS server may require client certificates (mutual TLS)
 * and show a verified client's identity to its handlers
 * (crpc_server_call_peer_identity). doc/tls.md shows set-ups and how to
 * make dev certificates.
 *
 * Credentials are built from crpc_tls_opts; each keeps one OpenSSL
 * context that all its connections share.
 *
 * A connection whose handshake fails (untrusted or expired certificate,
 * wrong hostname, missing client certificate, no ALPN h2, a plaintext
 * peer, a timeout) fails that connection only: its calls end UNAVAILABLE
 * with a message naming the reason, and a server logs a warning line and
 * serves everyone else.
 */
#ifndef CRPC_TLS_H
#define CRPC_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "credentials.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct crpc_tls_opts crpc_tls_opts;

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
 * TLS channel credentials; with |opts| NULL they trust the system store.
 * INVALID_ARGUMENT with |why| set (if not NULL) for files that cannot be
 * read, PEM that does not parse or a key that does not match its
 * certificate; RESOURCE_EXHAUSTED when out of memory. *out is untouched
 * on failure. Free with crpc_channel_credentials_free().
 */
CRPC_API crpc_code
crpc_channel_credentials_new_tls(crpc_channel_credentials **out,
                                 const crpc_tls_opts *opts, crpc_status *why);

/*
 * TLS server credentials: |opts| needs a certificate and key; codes as for
 * channel credentials. Free with crpc_server_credentials_free().
 */
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

#ifdef __cplusplus
}
#endif

#endif /* CRPC_TLS_H */
