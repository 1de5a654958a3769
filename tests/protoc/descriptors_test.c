/*
 * tests/protoc/descriptors_test.c: what protoc-gen-crpc generated for the
 * .proto files in tests/protoc/proto, checked as data: service and method
 * descriptors, the file graph down to the well-known types, the embedded
 * descriptor bytes, the invokers, and (at compile time) the stubs' types.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/v1/types.crpc.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "plain.crpc.h"
#include "shop/users.crpc.h"

/* Fails the build unless |expr| has exactly type |type|. */
#define ASSERT_TYPE(expr, type)                                                \
  _Static_assert(_Generic((expr), type : 1, default : 0), #expr " is " #type)

/* The stubs have the documented signatures, per method kind. */
ASSERT_TYPE(&test__shop__users__get_user__call,
            crpc_code (*)(crpc_channel *, const Test__Shop__GetUserRequest *,
                          Test__Common__V1__User **, const crpc_call_opts *,
                          crpc_status *));
ASSERT_TYPE(&test__shop__users__get_user__call_async,
            crpc_code (*)(crpc_channel *, const Test__Shop__GetUserRequest *,
                          const crpc_call_opts *, crpc_unary_done_cb *,
                          void *));
ASSERT_TYPE(&test__shop__users__list_users__start,
            crpc_code (*)(crpc_channel *, const Test__Shop__ListUsersRequest *,
                          const crpc_call_opts *, crpc_call **));
ASSERT_TYPE(&test__shop__users__list_users__recv,
            crpc_code (*)(crpc_call *, Test__Common__V1__User **));
ASSERT_TYPE(&test__shop__users__list_users__write,
            crpc_code (*)(crpc_server_call *, const Test__Common__V1__User *));
ASSERT_TYPE(&test__shop__users__upload_users__start,
            crpc_code (*)(crpc_channel *, const crpc_call_opts *,
                          crpc_call **));
ASSERT_TYPE(&test__shop__users__upload_users__send,
            crpc_code (*)(crpc_call *, const Test__Common__V1__User *));
ASSERT_TYPE(&test__shop__users__upload_users__finish,
            crpc_code (*)(crpc_call *, Test__Shop__UploadReply **,
                          crpc_status *));
ASSERT_TYPE(&test__shop__users__upload_users__read,
            crpc_code (*)(crpc_server_call *, Test__Common__V1__User **));
ASSERT_TYPE(&test__shop__users__chat__start,
            crpc_code (*)(crpc_channel *, const crpc_call_opts *,
                          crpc_call **));
ASSERT_TYPE(&test__shop__users__chat__send,
            crpc_code (*)(crpc_call *, const Test__Shop__Outer__Inner *));
ASSERT_TYPE(&test__shop__users__chat__recv,
            crpc_code (*)(crpc_call *, Test__Shop__Outer__Inner **));
ASSERT_TYPE(&test__shop__users__chat__read,
            crpc_code (*)(crpc_server_call *, Test__Shop__Outer__Inner **));
ASSERT_TYPE(&test__shop__users__chat__write,
            crpc_code (*)(crpc_server_call *,
                          const Test__Shop__Outer__Inner *));
ASSERT_TYPE(&test__shop__users__register_handlers,
            crpc_code (*)(crpc_server *, const Test__Shop__Users_Handlers *,
                          void *));
ASSERT_TYPE(&echo__nop__call,
            crpc_code (*)(crpc_channel *, const Google__Protobuf__Empty *,
                          Google__Protobuf__Empty **, const crpc_call_opts *,
                          crpc_status *));
ASSERT_TYPE(&echo__register_handlers,
            crpc_code (*)(crpc_server *, const Echo_Handlers *, void *));

/* Handler members: keyword names get '_', every kind its own shape. */
static Test__Shop__Users_Handlers handlers_shape;
ASSERT_TYPE(handlers_shape.get_user,
            crpc_code (*)(crpc_server_call *,
                          const Test__Shop__GetUserRequest *,
                          Test__Common__V1__User *, void *));
ASSERT_TYPE(handlers_shape.list_users,
            crpc_code (*)(crpc_server_call *,
                          const Test__Shop__ListUsersRequest *, void *));
ASSERT_TYPE(handlers_shape.upload_users,
            crpc_code (*)(crpc_server_call *, Test__Shop__UploadReply *,
                          void *));
ASSERT_TYPE(handlers_shape.chat, crpc_code (*)(crpc_server_call *, void *));
ASSERT_TYPE(handlers_shape.delete_,
            crpc_code (*)(crpc_server_call *,
                          const Test__Shop__GetUserRequest *,
                          Google__Protobuf__Empty *, void *));
ASSERT_TYPE(handlers_shape.new_,
            crpc_code (*)(crpc_server_call *, const Google__Protobuf__Empty *,
                          Google__Protobuf__Int64Value *, void *));
ASSERT_TYPE(handlers_shape.get_httpstatus,
            crpc_code (*)(crpc_server_call *, const Google__Protobuf__Empty *,
                          Google__Protobuf__StringValue *, void *));
ASSERT_TYPE(handlers_shape.get_user_v2,
            crpc_code (*)(crpc_server_call *,
                          const Test__Shop__GetUserRequest *,
                          Test__Common__V1__User *, void *));

struct expected_method {
  const char *name;
  const char *path;
  crpc_method_kind kind;
  crpc_idempotency idempotency;
  const ProtobufCMessageDescriptor *request_type;
  const ProtobufCMessageDescriptor *reply_type;
};

Test(descriptors, users_methods_match_the_proto) {
  static const struct expected_method want[] = {
      {"GetUser", "/test.shop.Users/GetUser", CRPC_METHOD_UNARY,
       CRPC_IDEMPOTENCY_NO_SIDE_EFFECTS,
       &test__shop__get_user_request__descriptor,
       &test__common__v1__user__descriptor},
      {"ListUsers", "/test.shop.Users/ListUsers", CRPC_METHOD_SERVER_STREAMING,
       CRPC_IDEMPOTENCY_UNKNOWN, &test__shop__list_users_request__descriptor,
       &test__common__v1__user__descriptor},
      {"UploadUsers", "/test.shop.Users/UploadUsers",
       CRPC_METHOD_CLIENT_STREAMING, CRPC_IDEMPOTENCY_IDEMPOTENT,
       &test__common__v1__user__descriptor,
       &test__shop__upload_reply__descriptor},
      {"Chat", "/test.shop.Users/Chat", CRPC_METHOD_BIDI_STREAMING,
       CRPC_IDEMPOTENCY_UNKNOWN, &test__shop__outer__inner__descriptor,
       &test__shop__outer__inner__descriptor},
      {"Delete", "/test.shop.Users/Delete", CRPC_METHOD_UNARY,
       CRPC_IDEMPOTENCY_UNKNOWN, &test__shop__get_user_request__descriptor,
       &google__protobuf__empty__descriptor},
      {"New", "/test.shop.Users/New", CRPC_METHOD_UNARY,
       CRPC_IDEMPOTENCY_UNKNOWN, &google__protobuf__empty__descriptor,
       &google__protobuf__int64_value__descriptor},
      {"GetHTTPStatus", "/test.shop.Users/GetHTTPStatus", CRPC_METHOD_UNARY,
       CRPC_IDEMPOTENCY_UNKNOWN, &google__protobuf__empty__descriptor,
       &google__protobuf__string_value__descriptor},
      {"get_user_v2", "/test.shop.Users/get_user_v2", CRPC_METHOD_UNARY,
       CRPC_IDEMPOTENCY_UNKNOWN, &test__shop__get_user_request__descriptor,
       &test__common__v1__user__descriptor},
  };
  const crpc_service_desc *svc = &test__shop__users__crpc_service;

  cr_assert_str_eq(svc->name, "test.shop.Users");
  cr_assert_eq(svc->file, &crpc_file__shop__users_proto);
  cr_assert_eq(svc->method_count, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < svc->method_count; i++) {
    const crpc_method_desc *m = &svc->methods[i];

    cr_assert_str_eq(m->name, want[i].name);
    cr_assert_str_eq(m->path, want[i].path);
    cr_assert_eq(m->kind, want[i].kind, "%s", m->name);
    cr_assert_eq(m->idempotency, want[i].idempotency, "%s", m->name);
    cr_assert_eq(m->request_type, want[i].request_type, "%s", m->name);
    cr_assert_eq(m->reply_type, want[i].reply_type, "%s", m->name);
    cr_assert_not_null(m->invoke, "%s", m->name);
  }
}

Test(descriptors, several_services_share_a_file) {
  cr_assert_str_eq(test__shop__admin__crpc_service.name, "test.shop.Admin");
  cr_assert_eq(test__shop__admin__crpc_service.method_count, 1);
  cr_assert_str_eq(test__shop__admin__crpc_service.methods[0].path,
                   "/test.shop.Admin/Echo");
  cr_assert_eq(test__shop__admin__crpc_service.file,
               &crpc_file__shop__users_proto);
  cr_assert_str_eq(test__shop__nothing__crpc_service.name, "test.shop.Nothing");
  cr_assert_eq(test__shop__nothing__crpc_service.method_count, 0);
}

Test(descriptors, packageless_names_start_at_the_service) {
  cr_assert_str_eq(echo__crpc_service.name, "Echo");
  cr_assert_eq(echo__crpc_service.method_count, 2);
  cr_assert_str_eq(echo__crpc_service.methods[0].path, "/Echo/Ping");
  cr_assert_eq(echo__crpc_service.methods[0].request_type, &text__descriptor);
  cr_assert_str_eq(echo__crpc_service.methods[1].path, "/Echo/Nop");
  cr_assert_str_eq(crpc_file__plain_proto.name, "plain.proto");
}

Test(descriptors, file_imports_are_listed_in_order) {
  const crpc_file_desc *f = &crpc_file__shop__users_proto;

  cr_assert_str_eq(f->name, "shop/users.proto");
  cr_assert_eq(f->dependency_count, 3);
  cr_assert_eq(f->dependencies[0], &crpc_file__common__v1__types_proto);
  cr_assert_eq(f->dependencies[1], &crpc_file__google__protobuf__empty_proto);
  cr_assert_eq(f->dependencies[2],
               &crpc_file__google__protobuf__wrappers_proto);
  cr_assert_eq(crpc_file__common__v1__types_proto.dependency_count, 1);
  cr_assert_eq(crpc_file__common__v1__types_proto.dependencies[0],
               &crpc_file__google__protobuf__timestamp_proto);
  cr_assert_eq(crpc_file__google__protobuf__timestamp_proto.dependency_count,
               0);
}

/* Visits the file graph depth first, unpacking every embedded descriptor. */
static size_t walk(const crpc_file_desc *f, const crpc_file_desc **seen,
                   size_t count) {
  Google__Protobuf__FileDescriptorProto *proto;

  for (size_t i = 0; i < count; i++)
    if (seen[i] == f)
      return count;
  cr_assert_lt(count, 16);
  seen[count++] = f;
  proto = google__protobuf__file_descriptor_proto__unpack(
      NULL, f->descriptor_len, f->descriptor);
  cr_assert_not_null(proto, "%s does not unpack", f->name);
  cr_assert_str_eq(proto->name, f->name);
  cr_assert_null(proto->source_code_info, "%s keeps source info", f->name);
  cr_assert_eq(proto->n_dependency, f->dependency_count, "%s", f->name);
  for (size_t i = 0; i < f->dependency_count; i++)
    cr_assert_str_eq(proto->dependency[i], f->dependencies[i]->name);
  google__protobuf__file_descriptor_proto__free_unpacked(proto, NULL);
  for (size_t i = 0; i < f->dependency_count; i++)
    count = walk(f->dependencies[i], seen, count);
  return count;
}

Test(descriptors, graph_reaches_the_well_known_types) {
  static const char *const want[] = {
      "shop/users.proto", "common/v1/types.proto",
      "google/protobuf/timestamp.proto", "google/protobuf/empty.proto",
      "google/protobuf/wrappers.proto"};
  const crpc_file_desc *seen[16];
  size_t count = walk(&crpc_file__shop__users_proto, seen, 0);

  cr_assert_eq(count, 5);
  for (size_t i = 0; i < count; i++)
    cr_assert_str_eq(seen[i]->name, want[i]);
}

Test(descriptors, embedded_descriptor_describes_the_services) {
  const crpc_file_desc *f = &crpc_file__shop__users_proto;
  Google__Protobuf__FileDescriptorProto *proto =
      google__protobuf__file_descriptor_proto__unpack(NULL, f->descriptor_len,
                                                      f->descriptor);

  cr_assert_not_null(proto);
  cr_assert_str_eq(proto->package, "test.shop");
  cr_assert_eq(proto->n_service, 3);
  cr_assert_str_eq(proto->service[0]->name, "Users");
  cr_assert_eq(proto->service[0]->n_method, 8);
  cr_assert_str_eq(proto->service[0]->method[3]->name, "Chat");
  google__protobuf__file_descriptor_proto__free_unpacked(proto, NULL);
}

static int handler_calls;

static crpc_code get_user(crpc_server_call *call,
                          const Test__Shop__GetUserRequest *request,
                          Test__Common__V1__User *reply, void *user_data) {
  cr_assert_null(call);
  cr_assert_eq(user_data, &handler_calls);
  reply->id = request->id;
  handler_calls++;
  return CRPC_OK;
}

static crpc_code chat(crpc_server_call *call, void *user_data) {
  (void)call;
  (void)user_data;
  handler_calls++;
  return CRPC_ABORTED;
}

Test(descriptors, invokers_call_the_typed_handler) {
  Test__Shop__Users_Handlers handlers = {.get_user = get_user, .chat = chat};
  const crpc_method_desc *methods = test__shop__users__crpc_service.methods;
  Test__Shop__GetUserRequest request = TEST__SHOP__GET_USER_REQUEST__INIT;
  Test__Common__V1__User reply = TEST__COMMON__V1__USER__INIT;

  request.id = 7;
  handler_calls = 0;
  cr_assert_eq(methods[0].invoke(NULL, &handlers, &handler_calls, &request.base,
                                 &reply.base),
               CRPC_OK);
  cr_assert_eq(reply.id, 7);
  cr_assert_eq(methods[3].invoke(NULL, &handlers, &handler_calls, NULL, NULL),
               CRPC_ABORTED);
  cr_assert_eq(handler_calls, 2);
}

Test(descriptors, invokers_answer_unimplemented_for_null_handlers) {
  Test__Shop__Users_Handlers handlers = {0};
  const crpc_method_desc *methods = test__shop__users__crpc_service.methods;
  Test__Shop__GetUserRequest request = TEST__SHOP__GET_USER_REQUEST__INIT;
  Test__Common__V1__User reply = TEST__COMMON__V1__USER__INIT;

  for (size_t i = 0; i < test__shop__users__crpc_service.method_count; i++) {
    bool unary = methods[i].kind == CRPC_METHOD_UNARY;

    cr_assert_eq(methods[i].invoke(NULL, &handlers, NULL,
                                   unary ? &request.base : NULL,
                                   unary ? &reply.base : NULL),
                 CRPC_UNIMPLEMENTED, "%s", methods[i].name);
  }
}
