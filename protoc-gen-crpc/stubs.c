/*
 * protoc-gen-crpc/stubs.c: signatures of the generated functions.
 */
#include "stubs.h"

#include <string.h>

#include "str.h"

static crpc_stub *add(crpc_stub *s, crpc_stub_id id, const crpc_model_method *m,
                      const char *suffix) {
  s->id = id;
  s->head = crpc_str_printf("crpc_code %s__%s", m->prefix, suffix);
  s->arg_count = 0;
  return s;
}

static void arg(crpc_stub *s, const char *text) {
  s->args[s->arg_count++] = text;
}

size_t crpc_stubs_client(const crpc_model_method *m, crpc_stub *out) {
  const char *request = crpc_str_printf("const %s *request", m->request_type);
  const char *msg_out = crpc_str_printf("%s **msg", m->reply_type);
  const char *msg_in = crpc_str_printf("const %s *msg", m->request_type);
  crpc_stub *s = out;

  if (m->kind == CRPC_MODEL_UNARY) {
    add(s, CRPC_STUB_CALL, m, "call");
    arg(s, "crpc_channel *channel");
    arg(s, request);
    arg(s, crpc_str_printf("%s **reply", m->reply_type));
    arg(s, "const crpc_call_opts *opts");
    arg(s, "crpc_status *status");
    add(++s, CRPC_STUB_CALL_ASYNC, m, "call_async");
    arg(s, "crpc_channel *channel");
    arg(s, request);
    arg(s, "const crpc_call_opts *opts");
    arg(s, "crpc_unary_done_cb *done");
    arg(s, "void *user_data");
    return 2;
  }
  add(s, CRPC_STUB_START, m, "start");
  arg(s, "crpc_channel *channel");
  if (m->kind == CRPC_MODEL_SERVER_STREAMING)
    arg(s, request);
  arg(s, "const crpc_call_opts *opts");
  arg(s, "crpc_call **call");
  if (m->kind != CRPC_MODEL_SERVER_STREAMING) {
    add(++s, CRPC_STUB_SEND, m, "send");
    arg(s, "crpc_call *call");
    arg(s, msg_in);
  }
  if (m->kind == CRPC_MODEL_CLIENT_STREAMING) {
    add(++s, CRPC_STUB_FINISH, m, "finish");
    arg(s, "crpc_call *call");
    arg(s, crpc_str_printf("%s **reply", m->reply_type));
    arg(s, "crpc_status *status");
  } else {
    add(++s, CRPC_STUB_RECV, m, "recv");
    arg(s, "crpc_call *call");
    arg(s, msg_out);
  }
  return (size_t)(s - out) + 1;
}

size_t crpc_stubs_server(const crpc_model_method *m, crpc_stub *out) {
  crpc_stub *s = out;

  if (!crpc_model_server_sends_one(m)) {
    add(s, CRPC_STUB_WRITE, m, "write");
    arg(s, "crpc_server_call *call");
    arg(s, crpc_str_printf("const %s *msg", m->reply_type));
    s++;
  }
  if (!crpc_model_client_sends_one(m)) {
    add(s, CRPC_STUB_READ, m, "read");
    arg(s, "crpc_server_call *call");
    arg(s, crpc_str_printf("%s **msg", m->request_type));
    s++;
  }
  return (size_t)(s - out);
}

size_t crpc_stubs_handler_args(const crpc_model_method *m, const char **args) {
  size_t n = 0;

  args[n++] = "crpc_server_call *call";
  if (crpc_model_client_sends_one(m))
    args[n++] = crpc_str_printf("const %s *request", m->request_type);
  if (crpc_model_server_sends_one(m))
    args[n++] = crpc_str_printf("%s *reply", m->reply_type);
  args[n++] = "void *user_data";
  return n;
}

const char *crpc_stubs_rpc_line(const crpc_model_method *m) {
  bool client_streams = !crpc_model_client_sends_one(m);
  bool server_streams = !crpc_model_server_sends_one(m);
  const char *request =
      crpc_str_printf("rpc %s(%s%s)", m->name, client_streams ? "stream " : "",
                      m->request_full);
  const char *reply = crpc_str_printf(
      "returns (%s%s)", server_streams ? "stream " : "", m->reply_full);

  /* Two lines when one would overflow the comment it heads. */
  if (strlen(request) + strlen(reply) + 10 > 80)
    return crpc_str_printf("%s\n     %s", request, reply);
  return crpc_str_printf("%s %s", request, reply);
}
