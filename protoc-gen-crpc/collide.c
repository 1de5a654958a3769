/*
 * protoc-gen-crpc/collide.c: a table of every visible C name and its owner.
 *
 * protoc-c's names are listed from its generators (protoc-c/c_message.cc,
 * c_enum.cc, c_service.cc, c_field.cc): enough of them to catch every name
 * of ours they can produce. Ours are all lower case with a "__" part, plus
 * one Capitalized_Handlers type per service.
 */
#include "collide.h"

#include <stdint.h>
#include <string.h>

#include "names.h"
#include "str.h"

typedef struct entry {
  const char *name;
  const char *owner; /* "protoc-c's descriptor of message shop.User" */
} entry;

typedef struct table {
  entry *slots; /* open addressing, linear probing */
  size_t cap;   /* a power of two */
  size_t count;
} table;

static uint64_t hash(const char *s) {
  uint64_t h = 14695981039346656037u; /* FNV-1a */

  while (*s)
    h = (h ^ (unsigned char)*s++) * 1099511628211u;
  return h;
}

static entry *find_slot(table *t, const char *name) {
  size_t i = (size_t)hash(name) & (t->cap - 1);

  while (t->slots[i].name && strcmp(t->slots[i].name, name) != 0)
    i = (i + 1) & (t->cap - 1);
  return &t->slots[i];
}

/* Adds |name|; returns the owner already holding it, or NULL. */
static const char *put(table *t, const char *name, const char *owner) {
  entry *e;

  if (2 * (t->count + 1) > t->cap) {
    table bigger = {NULL, t->cap ? 2 * t->cap : 1024, 0};

    bigger.slots = crpc_str_alloc(bigger.cap * sizeof *bigger.slots);
    for (size_t i = 0; i < t->cap; i++)
      if (t->slots[i].name)
        *find_slot(&bigger, t->slots[i].name) = t->slots[i];
    bigger.count = t->count;
    *t = bigger;
  }
  e = find_slot(t, name);
  if (e->name)
    return e->owner;
  e->name = name;
  e->owner = owner;
  t->count++;
  return NULL;
}

static const char *join(const char *prefix, const char *suffix) {
  return crpc_str_printf("%s%s", prefix, suffix);
}

/* protoc-c's names for enum |full| (c_enum.cc). */
static void add_enum(table *t, const char *full,
                     const Google__Protobuf__EnumDescriptorProto *e) {
  const char *lower = crpc_names_full_to_lower(full);
  const char *upper = crpc_names_full_to_upper(full);
  const char *owner = crpc_str_printf("protoc-c's code for enum %s", full);
  static const char *const suffixes[] = {
      "__descriptor", "__enum_values_by_number", "__enum_values_by_name",
      "__value_ranges"};

  put(t, crpc_names_full_to_c(full), owner);
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    put(t, join(lower, suffixes[i]), owner);
  for (size_t i = 0; i < e->n_value; i++)
    put(t, crpc_str_printf("%s__%s", upper, e->value[i]->name), owner);
}

/* protoc-c's names for message |full| and what it nests (c_message.cc). */
static void add_message(table *t, const char *full,
                        const Google__Protobuf__DescriptorProto *m) {
  const char *c_name = crpc_names_full_to_c(full);
  const char *lower = crpc_names_full_to_lower(full);
  const char *upper = crpc_names_full_to_upper(full);
  const char *owner = crpc_str_printf("protoc-c's code for message %s", full);
  static const char *const suffixes[] = {"__init",
                                         "__get_packed_size",
                                         "__pack",
                                         "__pack_to_buffer",
                                         "__unpack",
                                         "__free_unpacked",
                                         "__descriptor",
                                         "__field_descriptors",
                                         "__field_indices_by_name",
                                         "__number_ranges"};

  put(t, c_name, owner);
  put(t, join(c_name, "_Closure"), owner);
  put(t, join(upper, "__INIT"), owner);
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    put(t, join(lower, suffixes[i]), owner);
  for (size_t i = 0; i < m->n_field; i++)
    if (m->field[i]->default_value)
      put(t,
          crpc_str_printf("%s__%s__default_value", lower,
                          crpc_names_camel_to_lower(m->field[i]->name)),
          owner);
  for (size_t i = 0; i < m->n_oneof_decl; i++) {
    const char *oneof = m->oneof_decl[i]->name;

    put(t, crpc_str_printf("%s__%sCase", c_name, crpc_names_to_camel(oneof)),
        owner);
    put(t,
        crpc_str_printf("%s__%s__NOT_SET", upper,
                        crpc_names_camel_to_upper(oneof)),
        owner);
  }
  for (size_t i = 0; i < m->n_nested_type; i++)
    add_message(t, crpc_str_printf("%s.%s", full, m->nested_type[i]->name),
                m->nested_type[i]);
  for (size_t i = 0; i < m->n_enum_type; i++)
    add_enum(t, crpc_str_printf("%s.%s", full, m->enum_type[i]->name),
             m->enum_type[i]);
}

static const char *full_name(const crpc_file_proto *proto, const char *name) {
  if (proto->package && *proto->package)
    return crpc_str_printf("%s.%s", proto->package, name);
  return name;
}

/* protoc-c's names for a whole file (c_file.cc). */
static void add_protoc_c(table *t, const crpc_file_proto *proto) {
  for (size_t i = 0; i < proto->n_message_type; i++)
    add_message(t, full_name(proto, proto->message_type[i]->name),
                proto->message_type[i]);
  for (size_t i = 0; i < proto->n_enum_type; i++)
    add_enum(t, full_name(proto, proto->enum_type[i]->name),
             proto->enum_type[i]);
  for (size_t s = 0; s < proto->n_service; s++) {
    const Google__Protobuf__ServiceDescriptorProto *sp = proto->service[s];
    const char *full = full_name(proto, sp->name);
    const char *c_name = crpc_names_full_to_c(full);
    const char *lower = crpc_names_full_to_lower(full);
    const char *upper = crpc_names_full_to_upper(full);
    const char *owner = crpc_str_printf("protoc-c's code for service %s", full);

    put(t, join(c_name, "_Service"), owner);
    put(t, join(c_name, "_ServiceDestroy"), owner);
    put(t, join(lower, "__init"), owner);
    put(t, join(lower, "__descriptor"), owner);
    put(t, join(lower, "__method_descriptors"), owner);
    put(t, join(lower, "__method_indices_by_name"), owner);
    put(t, join(upper, "__BASE_INIT"), owner);
    put(t, join(upper, "__INIT"), owner);
    for (size_t i = 0; i < sp->n_method; i++)
      put(t,
          crpc_str_printf("%s__%s", lower,
                          crpc_names_camel_to_lower(sp->method[i]->name)),
          crpc_str_printf("protoc-c's function for method %s.%s", full,
                          sp->method[i]->name));
  }
}

/* Adds one of our names, or describes the clash. */
static const char *add_ours(table *t, const char *name, const char *owner) {
  const char *other = put(t, name, owner);

  if (other == NULL)
    return NULL;
  return crpc_str_printf("generated name %s for %s collides with %s; rename "
                         "one of them in the .proto",
                         name, owner, other);
}

/* Our names for |f|; the static ones only where they are defined. */
static const char *add_crpc(table *t, const crpc_model_file *f,
                            bool with_statics) {
  static const char *const stubs[4][5] = {
      [CRPC_MODEL_UNARY] = {"__call", "__call_async", "__invoke"},
      [CRPC_MODEL_CLIENT_STREAMING] = {"__start", "__send", "__finish",
                                       "__read", "__invoke"},
      [CRPC_MODEL_SERVER_STREAMING] = {"__start", "__recv", "__write",
                                       "__invoke"},
      [CRPC_MODEL_BIDI_STREAMING] = {"__start", "__send", "__recv", "__read",
                                     "__write"}};
  const char *error;

  error =
      add_ours(t, f->symbol, crpc_str_printf("the descriptor of %s", f->name));
  if (error)
    return error;
  for (size_t s = 0; s < f->service_count; s++) {
    const crpc_model_service *svc = &f->services[s];
    const char *owner = crpc_str_printf("service %s", svc->full_name);
    table members = {NULL, 0, 0};

    if ((error = add_ours(t, svc->service_desc, owner)) ||
        (error = add_ours(t, svc->handlers, owner)) ||
        (error = add_ours(t, join(svc->lower, "__register_handlers"), owner)))
      return error;
    if (with_statics && (error = add_ours(t, svc->methods_desc, owner)))
      return error;
    for (size_t i = 0; i < svc->method_count; i++) {
      const crpc_model_method *m = &svc->methods[i];
      const char *method_owner =
          crpc_str_printf("method %s.%s", svc->full_name, m->name);
      const char *other;

      for (size_t k = 0; k < 5 && stubs[m->kind][k]; k++) {
        bool is_static = strcmp(stubs[m->kind][k], "__invoke") == 0;

        if (is_static && !with_statics)
          continue;
        error = add_ours(t, join(m->prefix, stubs[m->kind][k]), method_owner);
        if (error)
          return error;
      }
      other = put(&members, m->member, method_owner);
      if (other)
        return crpc_str_printf("handler %s of %s for %s collides with %s; "
                               "rename one of them in the .proto",
                               m->member, svc->handlers, method_owner, other);
    }
  }
  return NULL;
}

static const crpc_file_proto *
find_file(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
          const char *name) {
  for (size_t i = 0; i < req->n_proto_file; i++)
    if (strcmp(req->proto_file[i]->name, name) == 0)
      return req->proto_file[i];
  return NULL;
}

/* Lists |proto| and everything it imports, each once, in |files|. */
static void collect(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                    const crpc_file_proto *proto, const crpc_file_proto **files,
                    size_t *count) {
  for (size_t i = 0; i < *count; i++)
    if (files[i] == proto)
      return;
  files[(*count)++] = proto;
  for (size_t i = 0; i < proto->n_dependency; i++) {
    const crpc_file_proto *dep = find_file(req, proto->dependency[i]);

    if (dep)
      collect(req, dep, files, count);
  }
}

const char *
crpc_collide_check(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                   const crpc_model_file *file) {
  const crpc_file_proto **files =
      crpc_str_alloc((req->n_proto_file + 1) * sizeof *files);
  size_t count = 0;
  table t = {NULL, 0, 0};

  collect(req, file->proto, files, &count);
  for (size_t i = 0; i < count; i++)
    add_protoc_c(&t, files[i]);
  /* Ours last, so a clash is reported against protoc-c's name. */
  for (size_t i = 0; i < count; i++) {
    const crpc_model_file *f = i == 0 ? file : crpc_model_build(files[i]);
    const char *error = add_crpc(&t, f, i == 0);

    if (error)
      return error;
  }
  return NULL;
}
