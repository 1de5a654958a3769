/*
 * protoc-gen-crpc/emit.h: writes a file's .crpc.h and .crpc.c.
 */
#ifndef CRPC_GEN_EMIT_H
#define CRPC_GEN_EMIT_H

#include "model.h"
#include "printer.h"

/* The header: includes, declarations, handler tables. */
void crpc_emit_header(crpc_printer *p, const crpc_model_file *file);

/*
 * The source: |descriptor| (|descriptor_len| bytes, the serialized
 * FileDescriptorProto), method tables, invokers and stubs.
 */
void crpc_emit_source(crpc_printer *p, const crpc_model_file *file,
                      const uint8_t *descriptor, size_t descriptor_len);

#endif /* CRPC_GEN_EMIT_H */
