/*
 * protoc-gen-crpc/emit_source.c: the .crpc.c of a file.
 *
 * Layout: the file's descriptor bytes and imports, then per service its
 * invokers, method table and service descriptor, client stubs and server
 * helpers. Every stub is a thin typed wrapper over crpc/call.h or
 * crpc/server.h; methods are indexed in .proto order.
 */
#include <stdint.h>

#include "emit.h"
#include "names.h"
#include "stubs.h"

static void emit_file_desc(crpc_printer *p, const crpc_model_file *f,
                           const uint8_t *bytes, size_t len) {
  crpc_printer_printf(p,
                      "\n/*\n"
                      " * %s as a serialized FileDescriptorProto, without\n"
                      " * source info, for server reflection.\n"
                      " */\n"
                      "static const uint8_t descriptor[%zu] = {",
                      f->name, len);
  for (size_t i = 0; i < len; i++)
    crpc_printer_printf(p, "%s0x%02x%s", i % 12 == 0 ? "\n    " : "", bytes[i],
                        i + 1 < len ? (i % 12 == 11 ? "," : ", ") : ",");
  crpc_printer_printf(p, "\n};\n");

  if (f->dependency_count > 0) {
    crpc_printer_printf(
        p, "\nstatic const crpc_file_desc *const dependencies[] = {\n");
    for (size_t i = 0; i < f->dependency_count; i++)
      crpc_printer_printf(p, "    &%s,\n", f->dependency_symbols[i]);
    crpc_printer_printf(p, "};\n");
  }

  crpc_printer_printf(p, "\nconst crpc_file_desc %s = {\n", f->symbol);
  crpc_printer_printf(p, "    .name = %s,\n", crpc_names_c_string(f->name));
  crpc_printer_printf(p, "    .descriptor_len = sizeof descriptor,\n");
  crpc_printer_printf(p, "    .descriptor = descriptor,\n");
  if (f->dependency_count > 0)
    crpc_printer_printf(p,
                        "    .dependency_count = %zu,\n"
                        "    .dependencies = dependencies,\n",
                        f->dependency_count);
  crpc_printer_printf(p, "};\n");
}

/* The crpc_invoke_cb of |m|: from the generic call to the typed handler. */
static void emit_invoker(crpc_printer *p, const crpc_model_service *svc,
                         const crpc_model_method *m) {
  static const char *const params[] = {
      "crpc_server_call *call", "const void *handlers", "void *user_data",
      "const ProtobufCMessage *request", "ProtobufCMessage *reply"};
  const char *args[4];
  size_t n = 0;

  crpc_printer_printf(p, "\n");
  crpc_printer_call(p, "",
                    crpc_str_printf("static crpc_code %s__invoke", m->prefix),
                    params, 5, " {");
  crpc_printer_printf(p, "  const %s *table = handlers;\n\n", svc->handlers);
  /* service.h: request is NULL when the client streams, reply when the
   * server does. */
  if (m->kind != CRPC_MODEL_UNARY)
    crpc_printer_printf(p, "  /* Streamed messages go through |call|. */\n");
  if (!crpc_model_client_sends_one(m))
    crpc_printer_printf(p, "  (void)request;\n");
  if (!crpc_model_server_sends_one(m))
    crpc_printer_printf(p, "  (void)reply;\n");
  crpc_printer_printf(p, "  if (table->%s == NULL)\n", m->member);
  crpc_printer_printf(p, "    return CRPC_UNIMPLEMENTED;\n");
  args[n++] = "call";
  if (crpc_model_client_sends_one(m))
    args[n++] = crpc_str_printf("(const %s *)request", m->request_type);
  if (crpc_model_server_sends_one(m))
    args[n++] = crpc_str_printf("(%s *)reply", m->reply_type);
  args[n++] = "user_data";
  crpc_printer_call(p, "  ", crpc_str_printf("return table->%s", m->member),
                    args, n, ";");
  crpc_printer_printf(p, "}\n");
}

static void emit_tables(crpc_printer *p, const crpc_model_file *f,
                        const crpc_model_service *svc) {
  for (size_t i = 0; i < svc->method_count; i++)
    emit_invoker(p, svc, &svc->methods[i]);

  if (svc->method_count > 0) {
    crpc_printer_printf(p, "\nstatic const crpc_method_desc %s[] = {\n",
                        svc->methods_desc);
    for (size_t i = 0; i < svc->method_count; i++) {
      const crpc_model_method *m = &svc->methods[i];

      crpc_printer_printf(p, "    [%zu] =\n        {\n", i);
      crpc_printer_printf(p, "            .name = %s,\n",
                          crpc_names_c_string(m->name));
      crpc_printer_printf(p, "            .path = %s,\n",
                          crpc_names_c_string(m->path));
      crpc_printer_printf(p, "            .kind = %s,\n", m->kind_enum);
      crpc_printer_printf(p, "            .idempotency = %s,\n",
                          m->idempotency_enum);
      crpc_printer_printf(p, "            .request_type = &%s,\n",
                          m->request_desc);
      crpc_printer_printf(p, "            .reply_type = &%s,\n", m->reply_desc);
      crpc_printer_printf(p, "            .invoke = %s__invoke,\n", m->prefix);
      crpc_printer_printf(p, "        },\n");
    }
    crpc_printer_printf(p, "};\n");
  }

  crpc_printer_printf(p, "\nconst crpc_service_desc %s = {\n",
                      svc->service_desc);
  crpc_printer_printf(p, "    .name = %s,\n",
                      crpc_names_c_string(svc->full_name));
  if (svc->method_count > 0)
    crpc_printer_printf(p,
                        "    .method_count = %zu,\n"
                        "    .methods = %s,\n",
                        svc->method_count, svc->methods_desc);
  crpc_printer_printf(p, "    .file = &%s,\n};\n", f->symbol);
}

static void emit_stub(crpc_printer *p, const crpc_model_service *svc,
                      size_t index, const crpc_stub *s) {
  const crpc_model_method *m = &svc->methods[index];
  const char *method = crpc_str_printf("&%s[%zu]", svc->methods_desc, index);

  crpc_printer_printf(p, "\n");
  crpc_printer_call(p, "", s->head, s->args, s->arg_count, " {");
  switch (s->id) {
  case CRPC_STUB_CALL: {
    const char *args[] = {"channel",        method,
                          "&request->base", "(ProtobufCMessage **)reply",
                          "opts",           "status"};

    crpc_printer_call(p, "  ", "return crpc_call_unary", args, 6, ";");
    break;
  }
  case CRPC_STUB_CALL_ASYNC: {
    const char *args[] = {"channel", method, "&request->base",
                          "opts",    "done", "user_data"};

    crpc_printer_call(p, "  ", "return crpc_call_unary_async", args, 6, ";");
    break;
  }
  case CRPC_STUB_START:
    if (m->kind != CRPC_MODEL_SERVER_STREAMING) {
      const char *args[] = {"channel", method, "opts", "call"};

      crpc_printer_call(p, "  ", "return crpc_call_start", args, 4, ";");
      break;
    }
    /* One request, then half-close: the caller only receives. */
    crpc_printer_printf(p, "  crpc_call *started = NULL;\n"
                           "  crpc_code code;\n\n");
    {
      const char *args[] = {"channel", method, "opts", "&started"};

      crpc_printer_call(p, "  ", "code = crpc_call_start", args, 4, ";");
    }
    crpc_printer_printf(p, "  if (code != CRPC_OK)\n"
                           "    goto fail;\n"
                           "  code = crpc_call_send(started, &request->base);\n"
                           "  if (code != CRPC_OK)\n"
                           "    goto fail;\n"
                           "  code = crpc_call_close_send(started);\n"
                           "  if (code != CRPC_OK)\n"
                           "    goto fail;\n"
                           "  *call = started;\n"
                           "  return CRPC_OK;\n\n"
                           "fail:\n"
                           "  crpc_call_free(started);\n"
                           "  return code;\n");
    break;
  case CRPC_STUB_SEND:
    crpc_printer_printf(p, "  return crpc_call_send(call, &msg->base);\n");
    break;
  case CRPC_STUB_RECV:
    crpc_printer_printf(
        p, "  return crpc_call_recv(call, (ProtobufCMessage **)msg);\n");
    break;
  case CRPC_STUB_FINISH:
    crpc_printer_printf(
        p,
        "  ProtobufCMessage *received = NULL;\n"
        "  crpc_code code;\n\n"
        "  /* A failed half-close or receive ends the call: finish says "
        "why. */\n"
        "  if (crpc_call_close_send(call) == CRPC_OK)\n"
        "    crpc_call_recv(call, &received);\n"
        "  code = crpc_call_finish(call, status);\n"
        "  if (code == CRPC_OK && received == NULL)\n"
        "    code = crpc_status_set(status, CRPC_INTERNAL,\n"
        "                           \"server sent no reply message\");\n"
        "  if (code != CRPC_OK) {\n"
        "    if (received != NULL)\n"
        "      protobuf_c_message_free_unpacked(received, NULL);\n"
        "    return code;\n"
        "  }\n"
        "  *reply = (%s *)received;\n"
        "  return CRPC_OK;\n",
        m->reply_type);
    break;
  case CRPC_STUB_WRITE:
    crpc_printer_printf(p,
                        "  return crpc_server_call_write(call, &msg->base);\n");
    break;
  case CRPC_STUB_READ:
    crpc_printer_printf(
        p, "  return crpc_server_call_read(call, (ProtobufCMessage **)msg);\n");
    break;
  }
  crpc_printer_printf(p, "}\n");
}

static void emit_register(crpc_printer *p, const crpc_model_service *svc) {
  const char *params[] = {"crpc_server *server",
                          crpc_str_printf("const %s *handlers", svc->handlers),
                          "void *user_data"};
  const char *args[] = {"server", crpc_str_printf("&%s", svc->service_desc),
                        "handlers", "sizeof *handlers", "user_data"};

  crpc_printer_printf(p, "\n");
  crpc_printer_call(
      p, "", crpc_str_printf("crpc_code %s__register_handlers", svc->lower),
      params, 3, " {");
  crpc_printer_call(p, "  ", "return crpc_server_register", args, 5, ";");
  crpc_printer_printf(p, "}\n");
}

void crpc_emit_source(crpc_printer *p, const crpc_model_file *f,
                      const uint8_t *descriptor, size_t descriptor_len) {
  crpc_printer_printf(p,
                      "/*\n"
                      " * %s: generated by protoc-gen-crpc from %s;\n"
                      " * do not edit.\n"
                      " */\n"
                      "#include \"%s\"\n",
                      f->source, f->name, f->header);
  emit_file_desc(p, f, descriptor, descriptor_len);

  for (size_t s = 0; s < f->service_count; s++) {
    const crpc_model_service *svc = &f->services[s];

    crpc_printer_printf(p, "\n/* service %s */\n", svc->full_name);
    emit_tables(p, f, svc);
    for (size_t i = 0; i < svc->method_count; i++) {
      crpc_stub stubs[4];
      size_t count = crpc_stubs_client(&svc->methods[i], stubs);

      for (size_t k = 0; k < count; k++)
        emit_stub(p, svc, i, &stubs[k]);
      count = crpc_stubs_server(&svc->methods[i], stubs);
      for (size_t k = 0; k < count; k++)
        emit_stub(p, svc, i, &stubs[k]);
    }
    emit_register(p, svc);
  }
}
