/*
 * server/server_call.h: the server side of one RPC, for the server code.
 */
#ifndef CRPC_SERVER_CALL_H
#define CRPC_SERVER_CALL_H

#include "http2/h2_conn.h"
#include "server/server.h"

/* Stream events of server calls, for the server's connections. */
extern const crpc_h2_ops crpc_server_call_h2_ops;

/*
 * A call for a new request stream on |conn| (loop thread); *link is the
 * stream link inside it. NULL when out of memory.
 */
void *crpc_server_call_new(crpc_server *server, crpc_h2_conn *conn,
                           crpc_h2_stream **link);

/* Frees the call objects of |cache|, once its loop's thread has ended. */
void crpc_server_call_cache_drain(crpc_call_cache *cache);

#endif /* CRPC_SERVER_CALL_H */
