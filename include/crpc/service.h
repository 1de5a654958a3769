/*
 * crpc/service.h: descriptors of .proto files, services and methods.
 *
 * protoc-gen-crpc emits these as constant data; user code rarely touches
 * them except to pass a crpc_service_desc to crpc_server_register() or a
 * crpc_method_desc to the generic call functions in crpc/call.h.
 */
#ifndef CRPC_SERVICE_H
#define CRPC_SERVICE_H

#include <protobuf-c/protobuf-c.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct crpc_server_call crpc_server_call;

/* The four gRPC method kinds. */
typedef enum crpc_method_kind {
  CRPC_METHOD_UNARY = 0,
  CRPC_METHOD_CLIENT_STREAMING = 1,
  CRPC_METHOD_SERVER_STREAMING = 2,
  CRPC_METHOD_BIDI_STREAMING = 3
} crpc_method_kind;

/* The method's `option idempotency_level` from its .proto. */
typedef enum crpc_idempotency {
  CRPC_IDEMPOTENCY_UNKNOWN = 0,
  CRPC_IDEMPOTENCY_NO_SIDE_EFFECTS = 1,
  CRPC_IDEMPOTENCY_IDEMPOTENT = 2
} crpc_idempotency;

/*
 * Server side: calls the typed handler for one method out of the generated
 * handler table |handlers|. |request| is NULL for client-streaming and bidi
 * methods; |reply| is NULL for server-streaming and bidi methods. Returns
 * UNIMPLEMENTED when the table has no handler for the method.
 */
typedef crpc_code crpc_invoke_cb(crpc_server_call *call, const void *handlers,
                                 void *user_data,
                                 const ProtobufCMessage *request,
                                 ProtobufCMessage *reply);

typedef struct crpc_method_desc {
  const char *name; /* "GetUser" */
  const char *path; /* "/shop.Users/GetUser", the HTTP/2 :path */
  crpc_method_kind kind;
  crpc_idempotency idempotency;
  const ProtobufCMessageDescriptor *request_type;
  const ProtobufCMessageDescriptor *reply_type;
  crpc_invoke_cb *invoke;
} crpc_method_desc;

/*
 * A .proto file as protoc saw it: its serialized FileDescriptorProto (without
 * source info) and the files it imports, for server reflection.
 */
typedef struct crpc_file_desc {
  const char *name; /* "shop/users.proto" */
  size_t descriptor_len;
  const uint8_t *descriptor;
  size_t dependency_count;
  const struct crpc_file_desc *const *dependencies;
} crpc_file_desc;

typedef struct crpc_service_desc {
  const char *name; /* "shop.Users", the fully qualified service name */
  size_t method_count;
  const crpc_method_desc *methods;
  const crpc_file_desc *file;
} crpc_service_desc;

#ifdef __cplusplus
}
#endif

#endif /* CRPC_SERVICE_H */
