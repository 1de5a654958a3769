/*
 * protoc-gen-crpc: protoc plugin writing crpc stubs next to protoc-c's code.
 *
 * protoc runs it as `protoc --c_out=. --crpc_out=. x.proto`, passing a
 * CodeGeneratorRequest on stdin and reading a CodeGeneratorResponse from
 * stdout (google/protobuf/compiler/plugin.proto). Problems in the .proto go
 * back in the response's error field, which protoc prints; input that is
 * not a request at all makes us exit non-zero with a message on stderr, as
 * plugin.proto asks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collide.h"
#include "emit.h"
#include "google/protobuf/compiler/plugin.pb-c.h"
#include "model.h"
#include "str.h"

typedef Google__Protobuf__Compiler__CodeGeneratorRequest request;
typedef Google__Protobuf__Compiler__CodeGeneratorResponse response;
typedef Google__Protobuf__Compiler__CodeGeneratorResponse__File response_file;

/*
 * The plugin's work: turns the CodeGeneratorRequest in |input| into a packed
 * CodeGeneratorResponse, *out (*out_len bytes, str.h memory, freed by
 * crpc_str_free_all). False if |input| is not a request at all. Not static
 * so that tests/fuzz/plugin.c can call it without a process per input.
 */
bool crpc_main_respond(const uint8_t *input, size_t input_len, uint8_t **out,
                       size_t *out_len);

/*
 * protoc always fills the names we use; a request from elsewhere might not.
 * Returns NULL, or what is missing.
 */
static const char *check_request(const request *req) {
  for (size_t i = 0; i < req->n_proto_file; i++) {
    const crpc_file_proto *f = req->proto_file[i];

    if (f->name == NULL)
      return "a proto_file has no name";
    for (size_t s = 0; s < f->n_service; s++) {
      const Google__Protobuf__ServiceDescriptorProto *svc = f->service[s];

      if (svc->name == NULL)
        return crpc_str_printf("%s: a service has no name", f->name);
      for (size_t m = 0; m < svc->n_method; m++)
        if (svc->method[m]->name == NULL ||
            svc->method[m]->input_type == NULL ||
            svc->method[m]->output_type == NULL)
          return crpc_str_printf("%s: a method of %s lacks a name or type",
                                 f->name, svc->name);
    }
  }
  return NULL;
}

static const crpc_file_proto *find_file(const request *req, const char *name) {
  for (size_t i = 0; i < req->n_proto_file; i++)
    if (strcmp(req->proto_file[i]->name, name) == 0)
      return req->proto_file[i];
  return NULL;
}

static response_file *new_file(const char *name, const crpc_printer *text) {
  response_file *file = crpc_str_alloc(sizeof *file);

  google__protobuf__compiler__code_generator_response__file__init(file);
  file->name = crpc_str_dup(name);
  file->content = text->data;
  return file;
}

/*
 * Generates |proto|'s two files into |out| (room for 2). Returns NULL, or
 * an error message for the response.
 */
static const char *generate(const request *req, crpc_file_proto *proto,
                            response_file **out) {
  crpc_model_file *model = crpc_model_build(proto);
  Google__Protobuf__SourceCodeInfo *info = proto->source_code_info;
  const char *clash = crpc_collide_check(req, model);
  crpc_printer header;
  crpc_printer source;
  uint8_t *descriptor;
  size_t descriptor_len;

  if (clash)
    return crpc_str_printf("%s: %s", proto->name, clash);

  /* The embedded descriptor is the file as protoc saw it, minus comments
   * and positions, which reflection clients never need. */
  proto->source_code_info = NULL;
  descriptor_len = protobuf_c_message_get_packed_size(&proto->base);
  descriptor = crpc_str_alloc(descriptor_len);
  protobuf_c_message_pack(&proto->base, descriptor);
  proto->source_code_info = info;

  crpc_printer_init(&header);
  crpc_emit_header(&header, model);
  crpc_printer_init(&source);
  crpc_emit_source(&source, model, descriptor, descriptor_len);
  out[0] = new_file(model->header, &header);
  out[1] = new_file(model->source, &source);
  return NULL;
}

bool crpc_main_respond(const uint8_t *input, size_t input_len, uint8_t **out,
                       size_t *out_len) {
  response resp = GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__INIT;
  request *req = google__protobuf__compiler__code_generator_request__unpack(
      NULL, input_len, input);

  if (req == NULL)
    return false;

  /* proto3 `optional` changes nothing here: the descriptor is just data. */
  resp.has_supported_features = 1;
  resp.supported_features =
      GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__FEATURE__FEATURE_PROTO3_OPTIONAL;
  resp.file = crpc_str_alloc(2 * req->n_file_to_generate * sizeof *resp.file);
  resp.error = (char *)check_request(req);
  for (size_t i = 0; i < req->n_file_to_generate && !resp.error; i++) {
    crpc_file_proto *proto =
        (crpc_file_proto *)find_file(req, req->file_to_generate[i]);

    if (proto == NULL) {
      resp.error = crpc_str_printf("%s: not among the request's proto_file",
                                   req->file_to_generate[i]);
      break;
    }
    resp.error = (char *)generate(req, proto, &resp.file[resp.n_file]);
    if (resp.error)
      break;
    resp.n_file += 2;
  }
  if (resp.error)
    resp.n_file = 0; /* all or nothing */
  *out_len = protobuf_c_message_get_packed_size(&resp.base);
  *out = crpc_str_alloc(*out_len);
  protobuf_c_message_pack(&resp.base, *out);
  google__protobuf__compiler__code_generator_request__free_unpacked(req, NULL);
  return true;
}

#ifndef CRPC_GEN_NO_MAIN
/* Reads all of |in|; NULL with errno set on a read error. */
static uint8_t *read_all(FILE *in, size_t *len) {
  size_t cap = 1 << 16;
  uint8_t *data = crpc_str_alloc(cap);

  *len = 0;
  for (;;) {
    size_t got = fread(data + *len, 1, cap - *len, in);

    *len += got;
    if (got == 0) {
      if (ferror(in))
        return NULL;
      return data;
    }
    if (*len == cap) {
      uint8_t *grown = crpc_str_alloc(2 * cap);

      memcpy(grown, data, cap);
      data = grown;
      cap *= 2;
    }
  }
}

int main(int argc, char **argv) {
  uint8_t *input, *output;
  size_t input_len, output_len;
  int status = 1;

  if (argc > 1) {
    fprintf(stderr, "usage: protoc --plugin=protoc-gen-crpc --c_out=DIR "
                    "--crpc_out=DIR FILE.proto\n"
                    "protoc-gen-crpc is a protoc plugin: it reads a "
                    "CodeGeneratorRequest on stdin.\n");
    (void)argv;
    return 2;
  }
  input = read_all(stdin, &input_len);
  if (input == NULL) {
    fprintf(stderr, "protoc-gen-crpc: reading stdin: %s\n", strerror(errno));
    goto done;
  }
  if (!crpc_main_respond(input, input_len, &output, &output_len)) {
    fprintf(stderr, "protoc-gen-crpc: stdin is not a CodeGeneratorRequest "
                    "(run me from protoc: --crpc_out=DIR)\n");
    goto done;
  }
  if (fwrite(output, 1, output_len, stdout) != output_len ||
      fflush(stdout) != 0) {
    fprintf(stderr, "protoc-gen-crpc: writing the response: %s\n",
            strerror(errno));
    goto done;
  }
  status = 0;

done:
  crpc_str_free_all();
  return status;
}
#endif /* CRPC_GEN_NO_MAIN: tests/fuzz/plugin.c brings its own */
