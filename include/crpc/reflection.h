/*
 * crpc/reflection.h: gRPC server reflection (grpc/grpc
 * doc/server-reflection.md), so that grpcurl, buf curl, grpcui or Postman
 * can list a server's services, fetch their .proto descriptors and call
 * them with JSON, without the .proto files. See doc/debugging.md.
 *
 *   crpc_reflection_register(server);               before crpc_server_start
 *
 * Serves grpc.reflection.v1.ServerReflection and its predecessor
 * grpc.reflection.v1alpha.ServerReflection (same messages, one
 * implementation), answering each request of the stream as it arrives:
 *
 *   list_services                  every service registered on the server,
 *                                  reflection and health included
 *   file_by_filename               "shop/users.proto"
 *   file_containing_symbol         services, methods ("shop.Users.GetUser"),
 *                                  messages and enums, nested ones too,
 *                                  fields, enum values and extensions
 *   file_containing_extension      the file declaring that extension
 *   all_extension_numbers_of_type  the extension numbers of a message type
 *
 * Files come back with all their transitive imports. The files known are
 * those of the registered services (the descriptors protoc-gen-crpc embeds),
 * their imports, and the well-known types librpc ships. A request
 * that finds nothing gets an error_response (NOT_FOUND, or INVALID_ARGUMENT
 * for an empty request) and the stream goes on.
 */
#ifndef CRPC_REFLECTION_H
#define CRPC_REFLECTION_H

#include "common.h"
#include "server.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Serves both reflection services on |server|; nothing to free. Call before
 * crpc_server_start(); services registered before or after this call are
 * all listed. INVALID_ARGUMENT if the server runs or already serves
 * reflection; RESOURCE_EXHAUSTED without memory.
 */
CRPC_API crpc_code crpc_reflection_register(crpc_server *server);

#ifdef __cplusplus
}
#endif

#endif /* CRPC_REFLECTION_H */
