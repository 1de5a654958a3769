/*
 * crpc/crpc.h: the whole public API of librpc. Include this one header.
 *
 *   common.h    crpc_code, crpc_status, crpc_now_ms()
 *   metadata.h  crpc_metadata, custom request/response metadata
 *   service.h   descriptors emitted by protoc-gen-crpc
 *   channel.h   crpc_channel, a client's connection to a target
 *   call.h      client calls: unary (sync and async) and streaming
 *   server.h    crpc_server and, inside handlers, crpc_server_call
 *   credentials.h  TLS and mutual TLS for channels and servers
 *   health.h    grpc.health.v1.Health, crpc_health
 *   reflection.h  server reflection (grpcurl, buf curl)
 */
#ifndef CRPC_CRPC_H
#define CRPC_CRPC_H

#include "call.h"
#include "channel.h"
#include "common.h"
#include "credentials.h"
#include "health.h"
#include "metadata.h"
#include "reflection.h"
#include "server.h"
#include "service.h"
#include "crpc/version.h"

#endif /* CRPC_CRPC_H */
