/*
 * transport/socket.h: non-blocking sockets.
 *
 * Functions return a file descriptor, or -errno on failure.
 */
#ifndef CRPC_SOCKET_H
#define CRPC_SOCKET_H

#include <sys/types.h>

#include "transport/addr.h"

/* Starts a non-blocking connect; completion shows as writability. */
int crpc_socket_connect(const crpc_addr *addr);

/* The result of a non-blocking connect: 0 or an errno value. */
int crpc_socket_connect_result(int fd);

/* Binds and listens; |addr| gets the bound address (port 0 resolved). */
int crpc_socket_listen(crpc_addr *addr, int backlog);

/* Accepts one connection, non-blocking, with TCP_NODELAY on TCP. */
int crpc_socket_accept(int listen_fd, crpc_addr *peer);

#endif /* CRPC_SOCKET_H */
