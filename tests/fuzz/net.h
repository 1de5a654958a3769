/*
 * tests/fuzz/net.h: loopback sockets for the connection targets
 * (server_conn.c, client_conn.c): non-blocking, every wait bounded.
 */
#ifndef CRPC_FUZZ_NET_H
#define CRPC_FUZZ_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

/* The client connection preface (RFC 9113 3.4). */
#define FUZZ_H2_MAGIC "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define FUZZ_H2_MAGIC_LEN 24

/* A listening socket on 127.0.0.1, its port in *port; -1 on failure. */
int fuzz_net_listen(int *port);

/* Accepts one connection within |timeout_ms|, non-blocking; -1 if none. */
int fuzz_net_accept(int listen_fd, int timeout_ms);

/* A connected non-blocking socket to 127.0.0.1:|port|; -1 on failure. */
int fuzz_net_connect(int port);

/*
 * Writes |len| bytes, reading what the peer sends meanwhile into |in|
 * (so neither side can block the other). False once the peer is gone or
 * |timeout_ms| passed.
 */
bool fuzz_net_write(int fd, const uint8_t *data, size_t len, crpc_bytes *in,
                    int timeout_ms);

/*
 * Reads into |in| until end of stream or a reset (true), or until
 * |done|(in, arg) says enough or |timeout_ms| passes (false).
 */
bool fuzz_net_read(int fd, crpc_bytes *in, int timeout_ms,
                   bool (*done)(const crpc_bytes *in, void *arg), void *arg);

/*
 * Walks the HTTP/2 frames in |len| bytes at |p| and returns true if one has
 * |type|, |flags| all set and (when |payload| is not NULL) that payload.
 */
bool fuzz_net_find_frame(const uint8_t *p, size_t len, uint8_t type,
                         uint8_t flags, const uint8_t *payload,
                         size_t payload_len);

/* Closes with a reset, leaving no TIME_WAIT behind. */
void fuzz_net_abort(int fd);

/* Open file descriptors of this process. */
int fuzz_net_fd_count(void);

#endif /* CRPC_FUZZ_NET_H */
