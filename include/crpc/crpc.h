/*
 * crpc/crpc.h: the whole public API of crpc. Include this one header, and
 * link librpc (pkg-config librpc), plus librpc-tls for tls.h's functions.
 *
 *   common.h    crpc_code, crpc_status, crpc_now_ms()
 *   metadata.h  crpc_metadata, custom request/response metadata
 *   service.h   descriptors emitted by protoc-gen-crpc
 *   channel.h   crpc_channel, a client's connection to a target
 *   call.h      client calls: unary (sync and async) and streaming
 *   server.h    crpc_server and, inside handlers, crpc_server_call
 *   credentials.h  credentials on channels and servers, peer identity
 *   tls.h       TLS and mutual TLS credentials (librpc-tls)
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
#include "tls.h"
#include "crpc/version.h"

#endif /* CRPC_CRPC_H */
