/*
 * call/client_call.h: the client side of one RPC, for the channel code.
 */
#ifndef CRPC_CLIENT_CALL_H
#define CRPC_CLIENT_CALL_H

#include "http2/h2_conn.h"

/* Stream events of client calls, for the channel's connections. */
extern const crpc_h2_ops crpc_client_call_h2_ops;

#endif /* CRPC_CLIENT_CALL_H */
