/*
 * protoc-gen-crpc/model.c: names, types and comments of a file's services.
 */
#include "model.h"

#include <string.h>

#include "names.h"
#include "str.h"

/* Field numbers in descriptor.proto, the steps of a SourceCodeInfo path. */
enum {
  FILE_SERVICE = 6,  /* FileDescriptorProto.service */
  SERVICE_METHOD = 2 /* ServiceDescriptorProto.method */
};

/* The comment attached to |path|: leading, then trailing, NULL if none. */
static const char *find_comment(const crpc_file_proto *proto,
                                const int32_t *path, size_t path_len) {
  const Google__Protobuf__SourceCodeInfo *info = proto->source_code_info;

  if (info == NULL)
    return NULL;
  for (size_t i = 0; i < info->n_location; i++) {
    const Google__Protobuf__SourceCodeInfo__Location *loc = info->location[i];
    const char *leading = loc->leading_comments;
    const char *trailing = loc->trailing_comments;

    if (loc->n_path != path_len ||
        memcmp(loc->path, path, path_len * sizeof *path) != 0)
      continue;
    if (leading && *leading && trailing && *trailing)
      return crpc_str_printf("%s\n%s", leading, trailing);
    if (leading && *leading)
      return leading;
    if (trailing && *trailing)
      return trailing;
    return NULL;
  }
  return NULL;
}

static const char *const kind_enums[] = {
    "CRPC_METHOD_UNARY", "CRPC_METHOD_CLIENT_STREAMING",
    "CRPC_METHOD_SERVER_STREAMING", "CRPC_METHOD_BIDI_STREAMING"};

static const char *
idempotency_enum(const Google__Protobuf__MethodOptions *options) {
  if (options == NULL || !options->has_idempotency_level)
    return "CRPC_IDEMPOTENCY_UNKNOWN";
  switch (options->idempotency_level) {
  case GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__NO_SIDE_EFFECTS:
    return "CRPC_IDEMPOTENCY_NO_SIDE_EFFECTS";
  case GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__IDEMPOTENT:
    return "CRPC_IDEMPOTENCY_IDEMPOTENT";
  default:
    return "CRPC_IDEMPOTENCY_UNKNOWN";
  }
}

static void build_method(crpc_model_method *m, const crpc_file_proto *proto,
                         const crpc_model_service *service, int32_t s,
                         int32_t i) {
  const Google__Protobuf__MethodDescriptorProto *mp =
      proto->service[s]->method[i];
  const int32_t path[] = {FILE_SERVICE, s, SERVICE_METHOD, i};
  const char *lower = crpc_names_camel_to_lower(mp->name);
  bool client_streams = mp->has_client_streaming && mp->client_streaming;
  bool server_streams = mp->has_server_streaming && mp->server_streaming;

  m->name = mp->name;
  m->path = crpc_str_printf("/%s/%s", service->full_name, mp->name);
  m->prefix = crpc_str_printf("%s__%s", service->lower, lower);
  m->member = crpc_names_member(lower);
  m->request_type = crpc_names_full_to_c(mp->input_type);
  m->reply_type = crpc_names_full_to_c(mp->output_type);
  m->request_desc = crpc_str_printf("%s__descriptor",
                                    crpc_names_full_to_lower(mp->input_type));
  m->reply_desc = crpc_str_printf("%s__descriptor",
                                  crpc_names_full_to_lower(mp->output_type));
  m->request_full = mp->input_type + (mp->input_type[0] == '.');
  m->reply_full = mp->output_type + (mp->output_type[0] == '.');
  m->kind = client_streams ? (server_streams ? CRPC_MODEL_BIDI_STREAMING
                                             : CRPC_MODEL_CLIENT_STREAMING)
                           : (server_streams ? CRPC_MODEL_SERVER_STREAMING
                                             : CRPC_MODEL_UNARY);
  m->kind_enum = kind_enums[m->kind];
  m->idempotency_enum = idempotency_enum(mp->options);
  m->comment = find_comment(proto, path, 4);
}

static void build_service(crpc_model_service *svc, const crpc_file_proto *proto,
                          int32_t s) {
  const Google__Protobuf__ServiceDescriptorProto *sp = proto->service[s];
  const int32_t path[] = {FILE_SERVICE, s};

  svc->full_name = proto->package && *proto->package
                       ? crpc_str_printf("%s.%s", proto->package, sp->name)
                       : sp->name;
  svc->lower = crpc_names_full_to_lower(svc->full_name);
  svc->handlers =
      crpc_str_printf("%s_Handlers", crpc_names_full_to_c(svc->full_name));
  svc->service_desc = crpc_str_printf("%s__crpc_service", svc->lower);
  svc->methods_desc = crpc_str_printf("%s__crpc_methods", svc->lower);
  svc->comment = find_comment(proto, path, 2);
  svc->method_count = sp->n_method;
  svc->methods = crpc_str_alloc(sp->n_method * sizeof *svc->methods);
  for (size_t i = 0; i < sp->n_method; i++)
    build_method(&svc->methods[i], proto, svc, s, (int32_t)i);
}

crpc_model_file *crpc_model_build(const crpc_file_proto *proto) {
  crpc_model_file *f = crpc_str_alloc(sizeof *f);
  const char *base = crpc_names_strip_proto(proto->name);

  f->proto = proto;
  f->name = proto->name;
  f->header = crpc_str_printf("%s.crpc.h", base);
  f->source = crpc_str_printf("%s.crpc.c", base);
  f->pb_c_header = crpc_str_printf("%s.pb-c.h", base);
  f->symbol = crpc_names_file_symbol(proto->name);
  f->guard = crpc_names_include_guard(proto->name);
  f->dependency_count = proto->n_dependency;
  f->dependency_headers =
      crpc_str_alloc(proto->n_dependency * sizeof *f->dependency_headers);
  f->dependency_symbols =
      crpc_str_alloc(proto->n_dependency * sizeof *f->dependency_symbols);
  for (size_t i = 0; i < proto->n_dependency; i++) {
    const char *dep = proto->dependency[i];

    f->dependency_headers[i] =
        crpc_str_printf("%s.crpc.h", crpc_names_strip_proto(dep));
    f->dependency_symbols[i] = crpc_names_file_symbol(dep);
  }
  f->service_count = proto->n_service;
  f->services = crpc_str_alloc(proto->n_service * sizeof *f->services);
  for (size_t s = 0; s < proto->n_service; s++)
    build_service(&f->services[s], proto, (int32_t)s);
  return f;
}

bool crpc_model_client_sends_one(const crpc_model_method *method) {
  return method->kind == CRPC_MODEL_UNARY ||
         method->kind == CRPC_MODEL_SERVER_STREAMING;
}

bool crpc_model_server_sends_one(const crpc_model_method *method) {
  return method->kind == CRPC_MODEL_UNARY ||
         method->kind == CRPC_MODEL_CLIENT_STREAMING;
}

bool crpc_model_has_streams(const crpc_model_service *service) {
  for (size_t i = 0; i < service->method_count; i++)
    if (service->methods[i].kind != CRPC_MODEL_UNARY)
      return true;
  return false;
}
