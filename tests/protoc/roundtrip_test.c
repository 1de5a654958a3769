/*
 * tests/protoc/roundtrip_test.c: generated stubs and handler tables over a
 * real loopback server, unary methods of both test files, including the
 * keyword-named Delete/New and well-known-type messages.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "plain.crpc.h"
#include "shop/users.crpc.h"

static crpc_server *server;
static crpc_channel *channel;

/* user_data given to every handler, to check it is passed through. */
static int app;

static crpc_code get_user(crpc_server_call *call,
                          const Test__Shop__GetUserRequest *request,
                          Test__Common__V1__User *reply, void *user_data) {
  if (user_data != &app)
    return crpc_server_call_fail(call, CRPC_INTERNAL, "wrong user_data");
  if (request->id == 404)
    return crpc_server_call_fail(call, CRPC_NOT_FOUND, "user %d not found",
                                 (int)request->id);
  reply->id = request->id;
  reply->name = crpc_server_call_strdup(call, "ada");
  reply->role = TEST__COMMON__V1__USER__ROLE__ROLE_ADMIN;
  return CRPC_OK;
}

static crpc_code delete_user(crpc_server_call *call,
                             const Test__Shop__GetUserRequest *request,
                             Google__Protobuf__Empty *reply, void *user_data) {
  (void)reply;
  (void)user_data;
  if (request->id != 1)
    return crpc_server_call_fail(call, CRPC_FAILED_PRECONDITION, "no");
  return CRPC_OK;
}

static crpc_code new_user(crpc_server_call *call,
                          const Google__Protobuf__Empty *request,
                          Google__Protobuf__Int64Value *reply,
                          void *user_data) {
  (void)call;
  (void)request;
  (void)user_data;
  reply->value = 42;
  return CRPC_OK;
}

static crpc_code get_http_status(crpc_server_call *call,
                                 const Google__Protobuf__Empty *request,
                                 Google__Protobuf__StringValue *reply,
                                 void *user_data) {
  (void)request;
  (void)user_data;
  reply->value = crpc_server_call_strdup(call, "200 OK");
  return CRPC_OK;
}

static crpc_code ping(crpc_server_call *call, const Text *request, Text *reply,
                      void *user_data) {
  (void)user_data;
  reply->text = crpc_server_call_strdup(call, request->text);
  return CRPC_OK;
}

static void start_server(void) {
  /* get_user_v2 stays NULL: it must answer UNIMPLEMENTED. */
  static const Test__Shop__Users_Handlers users = {
      .get_user = get_user,
      .delete_ = delete_user,
      .new_ = new_user,
      .get_httpstatus = get_http_status,
  };
  static const Echo_Handlers echo = {.ping = ping};
  char target[64];
  int port = 0;

  cr_assert_eq(crpc_server_new(&server, NULL), CRPC_OK);
  cr_assert_eq(crpc_server_listen(server, "127.0.0.1:0", &port), CRPC_OK);
  cr_assert_gt(port, 0);
  cr_assert_eq(test__shop__users__register_handlers(server, &users, &app),
               CRPC_OK);
  cr_assert_eq(echo__register_handlers(server, &echo, NULL), CRPC_OK);
  cr_assert_eq(crpc_server_start(server), CRPC_OK);
  snprintf(target, sizeof target, "127.0.0.1:%d", port);
  cr_assert_eq(crpc_channel_new(&channel, target, NULL), CRPC_OK);
}

static void stop_server(void) {
  crpc_channel_free(channel);
  crpc_server_free(server);
  channel = NULL;
  server = NULL;
}

TestSuite(roundtrip, .init = start_server, .fini = stop_server, .timeout = 20);

Test(roundtrip, unary_call_returns_the_handlers_reply) {
  Test__Shop__GetUserRequest request = TEST__SHOP__GET_USER_REQUEST__INIT;
  Test__Common__V1__User *user = NULL;
  crpc_status status;

  request.id = 7;
  cr_assert_eq(test__shop__users__get_user__call(channel, &request, &user, NULL,
                                                 &status),
               CRPC_OK, "%s", status.message);
  cr_assert_not_null(user);
  cr_assert_eq(user->id, 7);
  cr_assert_str_eq(user->name, "ada");
  cr_assert_eq(user->role, TEST__COMMON__V1__USER__ROLE__ROLE_ADMIN);
  test__common__v1__user__free_unpacked(user, NULL);
}

Test(roundtrip, handler_failure_reaches_the_caller) {
  Test__Shop__GetUserRequest request = TEST__SHOP__GET_USER_REQUEST__INIT;
  Test__Common__V1__User *user = NULL;
  crpc_status status;

  request.id = 404;
  cr_assert_eq(test__shop__users__get_user__call(channel, &request, &user, NULL,
                                                 &status),
               CRPC_NOT_FOUND);
  cr_assert_eq(status.code, CRPC_NOT_FOUND);
  cr_assert_str_eq(status.message, "user 404 not found");
  cr_assert_null(user);
}

Test(roundtrip, keyword_named_methods_work) {
  Test__Shop__GetUserRequest request = TEST__SHOP__GET_USER_REQUEST__INIT;
  Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
  Google__Protobuf__Empty *deleted = NULL;
  Google__Protobuf__Int64Value *made = NULL;

  request.id = 1;
  cr_assert_eq(
      test__shop__users__delete__call(channel, &request, &deleted, NULL, NULL),
      CRPC_OK);
  cr_assert_not_null(deleted);
  google__protobuf__empty__free_unpacked(deleted, NULL);
  cr_assert_eq(test__shop__users__new__call(channel, &empty, &made, NULL, NULL),
               CRPC_OK);
  cr_assert_eq(made->value, 42);
  google__protobuf__int64_value__free_unpacked(made, NULL);
}

Test(roundtrip, well_known_types_cross_the_wire) {
  Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
  Google__Protobuf__StringValue *reply = NULL;

  cr_assert_eq(test__shop__users__get_httpstatus__call(channel, &empty, &reply,
                                                       NULL, NULL),
               CRPC_OK);
  cr_assert_str_eq(reply->value, "200 OK");
  google__protobuf__string_value__free_unpacked(reply, NULL);
}

Test(roundtrip, null_handler_answers_unimplemented) {
  Test__Shop__GetUserRequest request = TEST__SHOP__GET_USER_REQUEST__INIT;
  Test__Common__V1__User *user = NULL;
  crpc_status status;

  cr_assert_eq(test__shop__users__get_user_v2__call(channel, &request, &user,
                                                    NULL, &status),
               CRPC_UNIMPLEMENTED);
  cr_assert_null(user);
}

Test(roundtrip, packageless_service_is_served) {
  Text request = TEXT__INIT;
  Text *reply = NULL;

  request.text = "hello";
  cr_assert_eq(echo__ping__call(channel, &request, &reply, NULL, NULL),
               CRPC_OK);
  cr_assert_str_eq(reply->text, "hello");
  text__free_unpacked(reply, NULL);
}
