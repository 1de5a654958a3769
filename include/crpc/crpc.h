/*
 * crpc/crpc.h: the whole public API of librpc. Include this one header.
 *
 *   common.h    crpc_code, crpc_status, crpc_now_ms()
 *   metadata.h  crpc_metadata, custom request/response metadata
 *   service.h   descriptors emitted by protoc-gen-crpc
 *   channel.h   crpc_channel, a client's connection to a target
 *   call.h      client calls: unary (sync and async) and streaming
 *   server.h    crpc_server and, inside handlers, crpc_server_call
 */
#ifndef CRPC_CRPC_H
#define CRPC_CRPC_H

#include "call.h"
#include "channel.h"
#include "common.h"
#include "metadata.h"
#include "server.h"
#include "service.h"
#include "crpc/version.h"

#endif /* CRPC_CRPC_H */
