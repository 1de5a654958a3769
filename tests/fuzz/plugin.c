/*
 * tests/fuzz/plugin.c: protoc-gen-crpc fed CodeGeneratorRequest bytes.
 *
 * Calls the plugin's core (crpc_main_respond in protoc-gen-crpc/main.c,
 * built here without its main) in process. Whatever the bytes, the plugin
 * either refuses them as not a request or answers with a response that
 * parses, and that holds either an error or two named files per file to
 * generate.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "google/protobuf/compiler/plugin.pb-c.h"
#include "str.h"

bool crpc_main_respond(const uint8_t *input, size_t input_len, uint8_t **out,
                       size_t *out_len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Google__Protobuf__Compiler__CodeGeneratorResponse *resp;
  uint8_t *out = NULL;
  size_t out_len = 0;

  if (crpc_main_respond(data, size, &out, &out_len)) {
    resp = google__protobuf__compiler__code_generator_response__unpack(
        NULL, out_len, out);
    FUZZ_CHECK(resp != NULL);
    if (resp->error != NULL) {
      FUZZ_CHECK(resp->n_file == 0);
    } else {
      FUZZ_CHECK(resp->n_file % 2 == 0);
      for (size_t i = 0; i < resp->n_file; i++)
        FUZZ_CHECK(resp->file[i]->name != NULL &&
                   resp->file[i]->name[0] != '\0' &&
                   resp->file[i]->content != NULL);
    }
    google__protobuf__compiler__code_generator_response__free_unpacked(resp,
                                                                       NULL);
  }
  crpc_str_free_all();
  return 0;
}
