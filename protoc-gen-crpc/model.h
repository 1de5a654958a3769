/*
 * protoc-gen-crpc/model.h: what is generated for one .proto file.
 *
 * model.c reads a FileDescriptorProto once and works out every name,
 * type and comment; the emitters only print. Strings live until exit.
 */
#ifndef CRPC_GEN_MODEL_H
#define CRPC_GEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "google/protobuf/compiler/plugin.pb-c.h"

typedef Google__Protobuf__FileDescriptorProto crpc_file_proto;

/* The four kinds, in crpc_method_kind's order (crpc/service.h). */
typedef enum crpc_model_kind {
  CRPC_MODEL_UNARY,
  CRPC_MODEL_CLIENT_STREAMING,
  CRPC_MODEL_SERVER_STREAMING,
  CRPC_MODEL_BIDI_STREAMING
} crpc_model_kind;

typedef struct crpc_model_method {
  const char *name;         /* "GetUser" */
  const char *path;         /* "/shop.Users/GetUser" */
  const char *prefix;       /* "shop__users__get_user": stubs add a part */
  const char *member;       /* "get_user", or "int_" for a keyword */
  const char *request_type; /* "Shop__GetUserRequest" */
  const char *reply_type;   /* "Shop__User" */
  const char *request_desc; /* "shop__get_user_request__descriptor" */
  const char *reply_desc;   /* "shop__user__descriptor" */
  const char *request_full; /* "shop.GetUserRequest" */
  const char *reply_full;   /* "shop.User" */
  crpc_model_kind kind;
  const char *kind_enum;        /* "CRPC_METHOD_UNARY" */
  const char *idempotency_enum; /* "CRPC_IDEMPOTENCY_UNKNOWN" */
  const char *comment;          /* leading and trailing, NULL if none */
} crpc_model_method;

typedef struct crpc_model_service {
  const char *full_name;    /* "shop.Users" */
  const char *lower;        /* "shop__users" */
  const char *handlers;     /* "Shop__Users_Handlers" */
  const char *service_desc; /* "shop__users__crpc_service" */
  const char *methods_desc; /* "shop__users__crpc_methods", static */
  const char *comment;
  size_t method_count;
  crpc_model_method *methods;
} crpc_model_service;

typedef struct crpc_model_file {
  const crpc_file_proto *proto;
  const char *name;        /* "shop/users.proto" */
  const char *header;      /* "shop/users.crpc.h" */
  const char *source;      /* "shop/users.crpc.c" */
  const char *pb_c_header; /* "shop/users.pb-c.h" */
  const char *symbol;      /* "crpc_file__shop__users_proto" */
  const char *guard;       /* include guard of the header */
  size_t dependency_count;
  const char **dependency_headers; /* "google/protobuf/empty.crpc.h" */
  const char **dependency_symbols; /* "crpc_file__google__..._proto" */
  size_t service_count;
  crpc_model_service *services;
} crpc_model_file;

/* Builds the model of |proto|. Never fails: protoc validated the file. */
crpc_model_file *crpc_model_build(const crpc_file_proto *proto);

/* True for the methods whose client sends one message. */
bool crpc_model_client_sends_one(const crpc_model_method *method);
/* True for the methods whose server sends one message. */
bool crpc_model_server_sends_one(const crpc_model_method *method);

/* True if any method of |service| streams. */
bool crpc_model_has_streams(const crpc_model_service *service);

#endif /* CRPC_GEN_MODEL_H */
