/*
 * reflection/reflection.c: grpc.reflection.v1 and v1alpha ServerReflection
 * (grpc/grpc doc/server-reflection.md) on the public server API, like a
 * user's service.
 *
 * The two versions have the same messages under different packages, so one
 * handler serves both: it works on v1 messages, and a v1alpha call converts
 * each request to v1 and each response back, through their (identical)
 * encoding.
 *
 * The files known are found from the registered services' crpc_file_desc
 * graph plus the well-known types. Each call builds that index once, when
 * its first request needs it: registrations are frozen while the server
 * runs, and nothing then outlives the call. Symbols are searched in the
 * FileDescriptorProtos, parsed with protobuf-c's descriptor.pb-c.c.
 */
#include "crpc/reflection.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "base/log.h"
#include "base/mem.h"
#include "google/protobuf/any.crpc.h"
#include "google/protobuf/api.crpc.h"
#include "google/protobuf/descriptor.crpc.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "google/protobuf/duration.crpc.h"
#include "google/protobuf/empty.crpc.h"
#include "google/protobuf/field_mask.crpc.h"
#include "google/protobuf/source_context.crpc.h"
#include "google/protobuf/struct.crpc.h"
#include "google/protobuf/timestamp.crpc.h"
#include "google/protobuf/type.crpc.h"
#include "google/protobuf/wrappers.crpc.h"
#include "grpc/reflection/v1/reflection.crpc.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.crpc.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"

typedef Grpc__Reflection__V1__ServerReflectionRequest request_v1;
typedef Grpc__Reflection__V1__ServerReflectionResponse response_v1;
typedef Google__Protobuf__FileDescriptorProto file_proto;
typedef Google__Protobuf__DescriptorProto message_proto;
typedef Google__Protobuf__FieldDescriptorProto field_proto;
typedef Google__Protobuf__EnumDescriptorProto enum_proto;

/* Served even when no registered service imports them (as gRPC C++ does). */
static const crpc_file_desc *const wkt_files[] = {
    &crpc_file__google__protobuf__any_proto,
    &crpc_file__google__protobuf__api_proto,
    &crpc_file__google__protobuf__descriptor_proto,
    &crpc_file__google__protobuf__duration_proto,
    &crpc_file__google__protobuf__empty_proto,
    &crpc_file__google__protobuf__field_mask_proto,
    &crpc_file__google__protobuf__source_context_proto,
    &crpc_file__google__protobuf__struct_proto,
    &crpc_file__google__protobuf__timestamp_proto,
    &crpc_file__google__protobuf__type_proto,
    &crpc_file__google__protobuf__wrappers_proto,
};

typedef struct known_file {
  const crpc_file_desc *desc;
  file_proto *proto; /* NULL if it did not parse */
} known_file;

/* Every file reachable from the server's services, each once. */
typedef struct file_index {
  known_file *files;
  size_t count, cap;
  bool is_built;
} file_index;

static ssize_t index_find(const file_index *ix, const char *name) {
  for (size_t i = 0; i < ix->count; i++)
    if (strcmp(ix->files[i].desc->name, name) == 0)
      return (ssize_t)i;
  return -1;
}

/* Adds |f| and, depth first, its imports. */
static crpc_code index_add(file_index *ix, const crpc_file_desc *f) {
  crpc_code code;

  if (index_find(ix, f->name) >= 0)
    return CRPC_OK;
  if (ix->count == ix->cap) {
    size_t cap = ix->cap ? 2 * ix->cap : 32;
    known_file *grown = crpc_mem_realloc(ix->files, cap * sizeof(*grown));
    if (grown == NULL)
      return CRPC_RESOURCE_EXHAUSTED;
    ix->files = grown;
    ix->cap = cap;
  }
  ix->files[ix->count].desc = f;
  ix->files[ix->count].proto = google__protobuf__file_descriptor_proto__unpack(
      NULL, f->descriptor_len, f->descriptor);
  if (ix->files[ix->count].proto == NULL)
    crpc_log(CRPC_LOG_WARN, "reflection: %s: bad embedded descriptor", f->name);
  ix->count++;
  for (size_t i = 0; i < f->dependency_count; i++)
    if ((code = index_add(ix, f->dependencies[i])) != CRPC_OK)
      return code;
  return CRPC_OK;
}

static crpc_code index_build(file_index *ix, const crpc_server *server) {
  crpc_code code;

  if (ix->is_built)
    return CRPC_OK;
  for (size_t i = 0; i < crpc_server_service_count(server); i++)
    if ((code = index_add(ix, crpc_server_service_at(server, i)->file)) !=
        CRPC_OK)
      return code;
  for (size_t i = 0; i < sizeof(wkt_files) / sizeof(wkt_files[0]); i++)
    if ((code = index_add(ix, wkt_files[i])) != CRPC_OK)
      return code;
  ix->is_built = true;
  return CRPC_OK;
}

static void index_free(file_index *ix) {
  for (size_t i = 0; i < ix->count; i++)
    if (ix->files[i].proto != NULL)
      google__protobuf__file_descriptor_proto__free_unpacked(ix->files[i].proto,
                                                             NULL);
  crpc_mem_free(ix->files);
}

/*
 * Symbol search. Names are matched against the symbol piece by piece
 * instead of being built: |rest| is what is left of the symbol once the
 * enclosing scopes ("pkg.", "pkg.Outer.") are matched.
 */

/* If |rest| starts with "|name|." returns what follows, else NULL. */
static const char *after_scope(const char *rest, const char *name) {
  size_t len = strlen(name);
  if (strncmp(rest, name, len) == 0 && rest[len] == '.')
    return rest + len + 1;
  return NULL;
}

static bool in_enums(const char *rest, enum_proto **enums, size_t count) {
  const char *inner;

  for (size_t i = 0; i < count; i++) {
    if (strcmp(rest, enums[i]->name) == 0)
      return true;
    /* protobuf scoping: enum values are siblings of their enum, but
     * "pkg.Enum.VALUE" is what people type, so take both. */
    inner = after_scope(rest, enums[i]->name);
    for (size_t j = 0; j < enums[i]->n_value; j++)
      if (strcmp(rest, enums[i]->value[j]->name) == 0 ||
          (inner != NULL && strcmp(inner, enums[i]->value[j]->name) == 0))
        return true;
  }
  return false;
}

static bool in_fields(const char *rest, field_proto **fields, size_t count) {
  for (size_t i = 0; i < count; i++)
    if (strcmp(rest, fields[i]->name) == 0)
      return true;
  return false;
}

static bool in_messages(const char *rest, message_proto **msgs, size_t count) {
  const char *inner;

  for (size_t i = 0; i < count; i++) {
    const message_proto *m = msgs[i];
    if (strcmp(rest, m->name) == 0)
      return true;
    if ((inner = after_scope(rest, m->name)) == NULL)
      continue;
    if (in_fields(inner, m->field, m->n_field) ||
        in_fields(inner, m->extension, m->n_extension) ||
        in_enums(inner, m->enum_type, m->n_enum_type) ||
        in_messages(inner, m->nested_type, m->n_nested_type))
      return true;
    for (size_t j = 0; j < m->n_oneof_decl; j++)
      if (strcmp(inner, m->oneof_decl[j]->name) == 0)
        return true;
  }
  return false;
}

/* What follows "package." in |symbol|, all of it without a package. */
static const char *after_package(const file_proto *f, const char *symbol) {
  if (f->package == NULL || f->package[0] == '\0')
    return symbol;
  return after_scope(symbol, f->package);
}

static bool file_defines(const file_proto *f, const char *symbol) {
  const char *rest = after_package(f, symbol), *inner;

  if (rest == NULL)
    return false;
  for (size_t i = 0; i < f->n_service; i++) {
    const Google__Protobuf__ServiceDescriptorProto *s = f->service[i];
    if (strcmp(rest, s->name) == 0)
      return true;
    if ((inner = after_scope(rest, s->name)) != NULL)
      for (size_t j = 0; j < s->n_method; j++)
        if (strcmp(inner, s->method[j]->name) == 0)
          return true;
  }
  return in_messages(rest, f->message_type, f->n_message_type) ||
         in_enums(rest, f->enum_type, f->n_enum_type) ||
         in_fields(rest, f->extension, f->n_extension);
}

/* The message type |rest| (relative to its file's package), or NULL. */
static const message_proto *find_message(const char *rest, message_proto **msgs,
                                         size_t count) {
  const char *inner;

  for (size_t i = 0; i < count; i++) {
    if (strcmp(rest, msgs[i]->name) == 0)
      return msgs[i];
    if ((inner = after_scope(rest, msgs[i]->name)) != NULL)
      return find_message(inner, msgs[i]->nested_type, msgs[i]->n_nested_type);
  }
  return NULL;
}

static bool is_message_type(const file_index *ix, const char *type) {
  for (size_t i = 0; i < ix->count; i++) {
    const file_proto *f = ix->files[i].proto;
    const char *rest = f != NULL ? after_package(f, type) : NULL;
    if (rest != NULL &&
        find_message(rest, f->message_type, f->n_message_type) != NULL)
      return true;
  }
  return false;
}

/* protoc writes extendees fully qualified with a leading dot. */
static bool extends(const field_proto *ext, const char *type) {
  const char *extendee = ext->extendee != NULL ? ext->extendee : "";
  if (extendee[0] == '.')
    extendee++;
  return strcmp(extendee, type) == 0;
}

/*
 * Calls |found| for every extension of |type| declared in file |f|, at top
 * level or inside messages.
 */
typedef void extension_cb(const field_proto *ext, void *arg);

static void each_extension_in(message_proto **msgs, size_t count,
                              const char *type, extension_cb *found,
                              void *arg) {
  for (size_t i = 0; i < count; i++) {
    for (size_t j = 0; j < msgs[i]->n_extension; j++)
      if (extends(msgs[i]->extension[j], type))
        found(msgs[i]->extension[j], arg);
    each_extension_in(msgs[i]->nested_type, msgs[i]->n_nested_type, type, found,
                      arg);
  }
}

static void each_extension(const file_proto *f, const char *type,
                           extension_cb *found, void *arg) {
  for (size_t i = 0; i < f->n_extension; i++)
    if (extends(f->extension[i], type))
      found(f->extension[i], arg);
  each_extension_in(f->message_type, f->n_message_type, type, found, arg);
}

typedef struct number_search {
  int32_t number;
  bool is_found;
} number_search;

static extension_cb match_number;
static void match_number(const field_proto *ext, void *arg) {
  number_search *s = arg;
  if (ext->number == s->number)
    s->is_found = true;
}

typedef struct number_list {
  int32_t *numbers;
  size_t count, cap;
  bool is_out_of_memory;
} number_list;

static extension_cb append_number;
static void append_number(const field_proto *ext, void *arg) {
  number_list *l = arg;
  if (l->count == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    int32_t *grown = crpc_mem_realloc(l->numbers, cap * sizeof(*grown));
    if (grown == NULL) {
      l->is_out_of_memory = true;
      return;
    }
    l->numbers = grown;
    l->cap = cap;
  }
  l->numbers[l->count++] = ext->number;
}

/*
 * Memory of one response, freed once it is written: a stream may answer
 * many requests, so the call's own memory (freed when the call ends) would
 * grow with each.
 */
#define SCRATCH_MAX 8

typedef struct scratch {
  void *blocks[SCRATCH_MAX];
  size_t count;
} scratch;

static void *scratch_alloc(scratch *sc, size_t len) {
  void *p;

  assert(sc->count < SCRATCH_MAX);
  p = crpc_mem_calloc(1, len ? len : 1);
  if (p != NULL)
    sc->blocks[sc->count++] = p;
  return p;
}

static void scratch_free(scratch *sc) {
  for (size_t i = 0; i < sc->count; i++)
    crpc_mem_free(sc->blocks[i]);
  sc->count = 0;
}

/*
 * Answers. Each fills |resp| with memory from |sc| or from the index
 * (alive until the handler returns). RESOURCE_EXHAUSTED ends the call.
 */

static crpc_code answer_error(scratch *sc, response_v1 *resp, crpc_code code,
                              const char *message, const char *subject) {
  Grpc__Reflection__V1__ErrorResponse *err = scratch_alloc(sc, sizeof(*err));
  size_t len = strlen(message) + strlen(subject) + 3;
  char *text = scratch_alloc(sc, len);

  if (err == NULL || text == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  grpc__reflection__v1__error_response__init(err);
  snprintf(text, len, "%s: %s", message, subject);
  err->error_code = (int32_t)code;
  err->error_message = text;
  resp->message_response_case =
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
  resp->error_response = err;
  return CRPC_OK;
}

/* Appends file |i| and then its transitive imports, each once. */
static void add_closure(const file_index *ix, size_t i, bool *is_sent,
                        ProtobufCBinaryData *out, size_t *count) {
  const crpc_file_desc *f = ix->files[i].desc;
  ssize_t dep;

  if (is_sent[i])
    return;
  is_sent[i] = true;
  out[*count].len = f->descriptor_len;
  out[*count].data = (uint8_t *)f->descriptor; /* only read by the packer */
  (*count)++;
  for (size_t d = 0; d < f->dependency_count; d++)
    if ((dep = index_find(ix, f->dependencies[d]->name)) >= 0)
      add_closure(ix, (size_t)dep, is_sent, out, count);
}

static crpc_code answer_file(scratch *sc, response_v1 *resp,
                             const file_index *ix, size_t i) {
  Grpc__Reflection__V1__FileDescriptorResponse *fdr =
      scratch_alloc(sc, sizeof(*fdr));
  ProtobufCBinaryData *files = scratch_alloc(sc, ix->count * sizeof(*files));
  bool *is_sent = scratch_alloc(sc, ix->count * sizeof(*is_sent));

  if (fdr == NULL || files == NULL || is_sent == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  grpc__reflection__v1__file_descriptor_response__init(fdr);
  fdr->file_descriptor_proto = files;
  add_closure(ix, i, is_sent, files, &fdr->n_file_descriptor_proto);
  resp->message_response_case =
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
  resp->file_descriptor_response = fdr;
  return CRPC_OK;
}

static crpc_code answer_list(scratch *sc, response_v1 *resp,
                             const crpc_server *server) {
  size_t count = crpc_server_service_count(server);
  Grpc__Reflection__V1__ListServiceResponse *list =
      scratch_alloc(sc, sizeof(*list));
  Grpc__Reflection__V1__ServiceResponse *services =
      scratch_alloc(sc, (count ? count : 1) * sizeof(*services));
  Grpc__Reflection__V1__ServiceResponse **ptrs =
      scratch_alloc(sc, (count ? count : 1) * sizeof(*ptrs));

  if (list == NULL || services == NULL || ptrs == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  grpc__reflection__v1__list_service_response__init(list);
  for (size_t i = 0; i < count; i++) {
    grpc__reflection__v1__service_response__init(&services[i]);
    services[i].name = (char *)crpc_server_service_at(server, i)->name;
    ptrs[i] = &services[i];
  }
  list->n_service = count;
  list->service = ptrs;
  resp->message_response_case =
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
  resp->list_services_response = list;
  return CRPC_OK;
}

static crpc_code answer_extension_numbers(scratch *sc, response_v1 *resp,
                                          const file_index *ix,
                                          const char *type) {
  Grpc__Reflection__V1__ExtensionNumberResponse *enr;
  number_list numbers = {0};

  if (!is_message_type(ix, type))
    return answer_error(sc, resp, CRPC_NOT_FOUND, "type not found", type);
  for (size_t i = 0; i < ix->count; i++)
    if (ix->files[i].proto != NULL)
      each_extension(ix->files[i].proto, type, append_number, &numbers);
  enr = scratch_alloc(sc, sizeof(*enr));
  if (numbers.is_out_of_memory || enr == NULL) {
    crpc_mem_free(numbers.numbers);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  grpc__reflection__v1__extension_number_response__init(enr);
  enr->base_type_name = (char *)type;
  if (numbers.count > 0) {
    enr->extension_number = scratch_alloc(sc, numbers.count * sizeof(int32_t));
    if (enr->extension_number == NULL) {
      crpc_mem_free(numbers.numbers);
      return CRPC_RESOURCE_EXHAUSTED;
    }
    memcpy(enr->extension_number, numbers.numbers,
           numbers.count * sizeof(int32_t));
    enr->n_extension_number = numbers.count;
  }
  crpc_mem_free(numbers.numbers);
  resp->message_response_case =
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
  resp->all_extension_numbers_response = enr;
  return CRPC_OK;
}

static crpc_code answer(scratch *sc, const crpc_server *server, file_index *ix,
                        const request_v1 *req, response_v1 *resp) {
  crpc_code code;
  const char *s;

  if (req->message_request_case ==
      GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES)
    return answer_list(sc, resp, server);
  if ((code = index_build(ix, server)) != CRPC_OK)
    return code;

  switch (req->message_request_case) {
  case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME: {
    ssize_t i = index_find(ix, s = req->file_by_filename);
    if (i < 0)
      return answer_error(sc, resp, CRPC_NOT_FOUND, "file not found", s);
    return answer_file(sc, resp, ix, (size_t)i);
  }
  case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
    s = req->file_containing_symbol;
    if (s[0] == '.') /* a type_name as written in descriptors */
      s++;
    for (size_t i = 0; i < ix->count; i++)
      if (ix->files[i].proto != NULL && file_defines(ix->files[i].proto, s))
        return answer_file(sc, resp, ix, i);
    return answer_error(sc, resp, CRPC_NOT_FOUND, "symbol not found", s);
  case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION: {
    const Grpc__Reflection__V1__ExtensionRequest *er =
        req->file_containing_extension;
    number_search search = {.number = er->extension_number};
    for (size_t i = 0; i < ix->count; i++) {
      if (ix->files[i].proto == NULL)
        continue;
      each_extension(ix->files[i].proto, er->containing_type, match_number,
                     &search);
      if (search.is_found)
        return answer_file(sc, resp, ix, i);
    }
    return answer_error(sc, resp, CRPC_NOT_FOUND, "extension not found",
                        er->containing_type);
  }
  case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
    return answer_extension_numbers(sc, resp, ix,
                                    req->all_extension_numbers_of_type);
  default:
    return answer_error(sc, resp, CRPC_INVALID_ARGUMENT, "empty request",
                        "no message_request set");
  }
}

/* |in| re-read as a message of type |to|, which has the same encoding. */
static ProtobufCMessage *convert(const ProtobufCMessage *in,
                                 const ProtobufCMessageDescriptor *to) {
  size_t len = protobuf_c_message_get_packed_size(in);
  uint8_t *bytes = crpc_mem_malloc(len ? len : 1);
  ProtobufCMessage *out;

  if (bytes == NULL)
    return NULL;
  protobuf_c_message_pack(in, bytes);
  out = protobuf_c_message_unpack(to, NULL, len, bytes);
  crpc_mem_free(bytes);
  return out;
}

/*
 * The bidi stream: read a request, answer it, repeat until the client
 * half-closes. |is_v1alpha| says which messages travel on this call.
 */
static crpc_code serve(crpc_server_call *call, const crpc_server *server,
                       bool is_v1alpha) {
  file_index ix = {0};
  scratch sc = {0};
  ProtobufCMessage *in, *req_msg, *out;
  crpc_code code;

  for (;;) {
    if ((code = crpc_server_call_read(call, &in)) != CRPC_OK || in == NULL)
      break;
    req_msg = in;
    if (is_v1alpha) {
      req_msg = convert(
          in, &grpc__reflection__v1__server_reflection_request__descriptor);
      protobuf_c_message_free_unpacked(in, NULL);
      if (req_msg == NULL) {
        code = CRPC_RESOURCE_EXHAUSTED;
        break;
      }
    }
    response_v1 resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
    request_v1 *req = (request_v1 *)req_msg;
    resp.valid_host = req->host;
    resp.original_request = req;
    code = answer(&sc, server, &ix, req, &resp);
    if (code == CRPC_OK) {
      out = &resp.base;
      if (is_v1alpha &&
          (out = convert(
               &resp.base,
               &grpc__reflection__v1alpha__server_reflection_response__descriptor)) ==
              NULL)
        code = CRPC_RESOURCE_EXHAUSTED;
      if (code == CRPC_OK)
        code = crpc_server_call_write(call, out);
      if (out != &resp.base)
        protobuf_c_message_free_unpacked(out, NULL);
    }
    scratch_free(&sc);
    protobuf_c_message_free_unpacked(req_msg, NULL);
    if (code != CRPC_OK)
      break;
  }
  index_free(&ix);
  return code;
}

static crpc_code serve_v1(crpc_server_call *call, void *user_data) {
  return serve(call, user_data, false);
}

static crpc_code serve_v1alpha(crpc_server_call *call, void *user_data) {
  return serve(call, user_data, true);
}

CRPC_API crpc_code crpc_reflection_register(crpc_server *server) {
  static const Grpc__Reflection__V1__ServerReflection_Handlers v1 = {
      .server_reflection_info = serve_v1};
  static const Grpc__Reflection__V1alpha__ServerReflection_Handlers v1alpha = {
      .server_reflection_info = serve_v1alpha};
  crpc_code code;

  if (server == NULL)
    return CRPC_INVALID_ARGUMENT;
  code = grpc__reflection__v1__server_reflection__register_handlers(server, &v1,
                                                                    server);
  if (code != CRPC_OK)
    return code;
  /* Fails only out of memory, v1 being new; v1 alone still serves. */
  return grpc__reflection__v1alpha__server_reflection__register_handlers(
      server, &v1alpha, server);
}
