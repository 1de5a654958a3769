/*
 * tls/credentials.h: what channels and servers need from credentials.
 *
 * Credentials objects are reference counted: the application's handle is
 * one reference, and every channel or server (or options object) they are
 * set on holds another.
 */
#ifndef CRPC_TLS_CREDENTIALS_H
#define CRPC_TLS_CREDENTIALS_H

#include "crpc/credentials.h"
#include "transport/addr.h"
#include "transport/stream.h"

/* Another reference; NULL stays NULL. Any thread. */
crpc_channel_credentials *
crpc_channel_credentials_ref(const crpc_channel_credentials *creds);
crpc_server_credentials *
crpc_server_credentials_ref(const crpc_server_credentials *creds);

/*
 * Starts connecting to |addr| and returns the stream to speak HTTP/2 on:
 * the socket itself, or TLS over it sending SNI and verifying the host of
 * |authority| ("host:port", "[v6]:port", "host") unless overridden.
 * |creds| NULL is insecure. UNAVAILABLE with |why| if the connect fails
 * at once, RESOURCE_EXHAUSTED when out of memory.
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
