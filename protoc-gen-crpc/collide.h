/*
 * protoc-gen-crpc/collide.h: refuses generated names that clash.
 *
 * A .crpc.c sees every identifier protoc-c declares for its file and the
 * files that file imports, directly or not, plus the ones we declare for
 * them. A method named RegisterHandlers makes protoc-c declare
 * shop__users__register_handlers(), which we need for something else; two
 * methods GetUser and get_user would both give shop__users__get_user__call.
 * Rather than emit code that fails to compile, the plugin stops and says
 * which names clash.
 */
#ifndef CRPC_GEN_COLLIDE_H
#define CRPC_GEN_COLLIDE_H

#include "google/protobuf/compiler/plugin.pb-c.h"
#include "model.h"

/*
 * Checks the names generated for |file| against everything visible to its
 * generated code. Returns NULL if none clash, otherwise a message naming
 * both owners of the first clash.
 */
const char *
crpc_collide_check(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                   const crpc_model_file *file);

#endif /* CRPC_GEN_COLLIDE_H */
