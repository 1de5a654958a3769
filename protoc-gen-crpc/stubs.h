/*
 * protoc-gen-crpc/stubs.h: the typed functions generated per method.
 *
 * The header declares them and the source defines them from the same
 * list, so the two cannot disagree.
 */
#ifndef CRPC_GEN_STUBS_H
#define CRPC_GEN_STUBS_H

#include <stddef.h>

#include "model.h"

typedef enum crpc_stub_id {
  CRPC_STUB_CALL,       /* unary, blocking */
  CRPC_STUB_CALL_ASYNC, /* unary, with a callback */
  CRPC_STUB_START,      /* streaming kinds: opens the call */
  CRPC_STUB_SEND,       /* client and bidi streaming */
  CRPC_STUB_RECV,       /* server and bidi streaming */
  CRPC_STUB_FINISH,     /* client streaming: the one reply and the status */
  CRPC_STUB_WRITE,      /* server side of server and bidi streaming */
  CRPC_STUB_READ        /* server side of client and bidi streaming */
} crpc_stub_id;

#define CRPC_STUB_MAX_ARGS 5

typedef struct crpc_stub {
  crpc_stub_id id;
  const char *head; /* "crpc_code shop__users__get_user__call" */
  const char *args[CRPC_STUB_MAX_ARGS]; /* "crpc_channel *channel" */
  size_t arg_count;
} crpc_stub;

/* Fills |out| (room for 4) with |m|'s client stubs; returns how many. */
size_t crpc_stubs_client(const crpc_model_method *m, crpc_stub *out);

/* Fills |out| (room for 2) with |m|'s server helpers; returns how many. */
size_t crpc_stubs_server(const crpc_model_method *m, crpc_stub *out);

/* The handler member's argument list (call, request, reply, user_data). */
size_t crpc_stubs_handler_args(const crpc_model_method *m, const char **args);

/* "rpc GetUser(shop.GetUserRequest) returns (stream shop.User)". */
const char *crpc_stubs_rpc_line(const crpc_model_method *m);

#endif /* CRPC_GEN_STUBS_H */
