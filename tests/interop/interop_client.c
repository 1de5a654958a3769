/*
 * tests/interop/interop_client.c: the gRPC interop test client on crpc.
 *
 * Runs the cases of grpc/grpc doc/interop-test-descriptions.md (auth cases
 * excepted) plus crpc's own crpc_* cases against a
 * grpc.testing.TestService server, printing "PASS name" or "FAIL name:
 * reason" per case; exits 1 if any failed. See doc/interop.md.
 *
 *   interop_client --server_port=N [--server_host=H] [--test_case=NAME|all]
 *                  [--server_host_override=H] [--use_tls[=BOOL]]
 *                  [--use_test_ca[=BOOL]] [--ca_file=PEM]
 *                  [--client_cert_file=PEM --client_key_file=PEM]
 *
 * With --use_tls the server's certificate is verified against the system
 * roots, or with --use_test_ca against --ca_file (default: the test CA
 * shipped in tests/interop/certs), for the host of --server_host_override
 * (e.g. foo.test.google.fr) else --server_host. --client_cert_file and
 * --client_key_file present a client certificate (mutual TLS;
 * tests/interop/certs/client.pem is one).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crpc/crpc.h>

#include "grpc/testing/test.crpc.h"
#include "grpc/testing/test.pb-c.h"
#include "interop_flags.h"

#ifndef CRPC_INTEROP_CERTS_DIR
#define CRPC_INTEROP_CERTS_DIR "tests/interop/certs"
#endif

/* Every call gets a deadline so that a broken peer fails a case, not hangs. */
#define TIMEOUT_MS 20000

#define ECHO_INITIAL_KEY "x-grpc-test-echo-initial"
#define ECHO_TRAILING_KEY "x-grpc-test-echo-trailing-bin"

/* UTF-8 of U+263A and U+1F608, spelled out to keep this file ASCII. */
#define SMILE "\xe2\x98\xba"
#define DEVIL "\xf0\x9f\x98\x88"

typedef Grpc__Testing__SimpleRequest simple_request;
typedef Grpc__Testing__SimpleResponse simple_response;
typedef Grpc__Testing__StreamingOutputCallRequest output_request;
typedef Grpc__Testing__StreamingOutputCallResponse output_response;

/* One case's context: the channel, default options and why it failed. */
struct test {
  crpc_channel *channel;
  crpc_call_opts *opts; /* TIMEOUT_MS, nothing else */
  char reason[512];
};

/* Request bodies are all zeros, at most 1 MiB (crpc_large_unary_1m). */
static uint8_t zeros[1 << 20];

static bool fail(struct test *t, const char *fmt, ...) CRPC_PRINTF(2, 3);

static bool fail(struct test *t, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
  va_end(ap);
  return false;
}

static bool fail_status(struct test *t, const char *what,
                        const crpc_status *status) {
  return fail(t, "%s: %s: %s", what, crpc_code_name(status->code),
              status->message);
}

/* The call's status must be |code| (and |message| unless NULL). */
static bool expect_status(struct test *t, const char *what,
                          const crpc_status *status, crpc_code code,
                          const char *message) {
  if (status->code != code)
    return fail(t, "%s: status %s (%s), want %s", what,
                crpc_code_name(status->code), status->message,
                crpc_code_name(code));
  if (message != NULL && strcmp(status->message, message) != 0)
    return fail(t, "%s: status message \"%s\", want \"%s\"", what,
                status->message, message);
  return true;
}

static crpc_call_opts *new_opts(int64_t timeout_ms) {
  crpc_call_opts *opts = NULL;

  if (crpc_call_opts_new(&opts) == CRPC_OK)
    crpc_call_opts_set_timeout_ms(opts, timeout_ms);
  return opts;
}

static void set_zeros(Grpc__Testing__Payload *payload, size_t len) {
  payload->type = GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE;
  payload->body.data = len > 0 ? zeros : NULL;
  payload->body.len = len;
}

static bool check_zeros(struct test *t, const Grpc__Testing__Payload *payload,
                        size_t len, const char *what) {
  size_t got = payload != NULL ? payload->body.len : 0;

  if (got != len)
    return fail(t, "%s payload is %zu bytes, want %zu", what, got, len);
  for (size_t i = 0; i < len; i++)
    if (payload->body.data[i] != 0)
      return fail(t, "%s payload byte %zu is not zero", what, i);
  return true;
}

/* A FullDuplexCall request asking for one reply, and what it points to. */
struct duplex_request {
  output_request request;
  Grpc__Testing__ResponseParameters params;
  Grpc__Testing__ResponseParameters *params_list[1];
  Grpc__Testing__Payload payload;
};

static output_request *duplex_request(struct duplex_request *d,
                                      int32_t response_size,
                                      size_t request_size) {
  grpc__testing__streaming_output_call_request__init(&d->request);
  grpc__testing__response_parameters__init(&d->params);
  grpc__testing__payload__init(&d->payload);
  d->params.size = response_size;
  d->params_list[0] = &d->params;
  d->request.n_response_parameters = 1;
  d->request.response_parameters = d->params_list;
  set_zeros(&d->payload, request_size);
  d->request.payload = &d->payload;
  return &d->request;
}

/*
 * Ends a streaming call: cancels it first if the case already failed (the
 * server may still wait for requests), then collects its status.
 */
static crpc_code end_call(crpc_call *call, bool ok, crpc_status *status) {
  crpc_code code;

  if (!ok)
    crpc_call_cancel(call);
  code = crpc_call_finish(call, status);
  crpc_call_free(call);
  return code;
}

static bool empty_unary(struct test *t) {
  Grpc__Testing__Empty request = GRPC__TESTING__EMPTY__INIT, *reply = NULL;
  crpc_status status;

  if (grpc__testing__test_service__empty_call__call(
          t->channel, &request, &reply, t->opts, &status) != CRPC_OK)
    return fail_status(t, "EmptyCall", &status);
  if (reply == NULL)
    return fail(t, "EmptyCall: no reply");
  grpc__testing__empty__free_unpacked(reply, NULL);
  return true;
}

/* One UnaryCall with a zero payload of |request_size| bytes asking for
 * |reply_size| bytes back. */
static bool unary_of_size(struct test *t, size_t request_size,
                          int32_t reply_size) {
  simple_request request = GRPC__TESTING__SIMPLE_REQUEST__INIT;
  Grpc__Testing__Payload payload = GRPC__TESTING__PAYLOAD__INIT;
  simple_response *reply;
  crpc_status status;
  bool ok;

  request.response_size = reply_size;
  set_zeros(&payload, request_size);
  request.payload = &payload;
  if (grpc__testing__test_service__unary_call__call(
          t->channel, &request, &reply, t->opts, &status) != CRPC_OK)
    return fail_status(t, "UnaryCall", &status);
  ok = check_zeros(t, reply->payload, (size_t)reply_size, "reply");
  grpc__testing__simple_response__free_unpacked(reply, NULL);
  return ok;
}

static bool large_unary(struct test *t) {
  return unary_of_size(t, 271828, 314159);
}

/* 1 MiB each way: more than one HTTP/2 window's worth of DATA frames. */
static bool crpc_large_unary_1m(struct test *t) {
  return unary_of_size(t, 1 << 20, 1 << 20);
}

static bool client_streaming(struct test *t) {
  static const size_t sizes[] = {27182, 8, 1828, 45904};
  Grpc__Testing__StreamingInputCallRequest request =
      GRPC__TESTING__STREAMING_INPUT_CALL_REQUEST__INIT;
  Grpc__Testing__Payload payload = GRPC__TESTING__PAYLOAD__INIT;
  Grpc__Testing__StreamingInputCallResponse *reply;
  crpc_call *call;
  crpc_status status;
  crpc_code code;
  int32_t total;

  code = grpc__testing__test_service__streaming_input_call__start(
      t->channel, t->opts, &call);
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  request.payload = &payload;
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    set_zeros(&payload, sizes[i]);
    if (grpc__testing__test_service__streaming_input_call__send(
            call, &request) != CRPC_OK)
      break; /* the status tells why */
  }
  code = grpc__testing__test_service__streaming_input_call__finish(call, &reply,
                                                                   &status);
  crpc_call_free(call);
  if (code != CRPC_OK)
    return fail_status(t, "StreamingInputCall", &status);
  total = reply->aggregated_payload_size;
  grpc__testing__streaming_input_call_response__free_unpacked(reply, NULL);
  if (total != 74922)
    return fail(t, "aggregated_payload_size %d, want 74922", (int)total);
  return true;
}

static bool server_streaming(struct test *t) {
  static const int32_t sizes[] = {31415, 9, 2653, 58979};
  enum { COUNT = sizeof(sizes) / sizeof(sizes[0]) };
  output_request request = GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
  Grpc__Testing__ResponseParameters params[COUNT], *params_list[COUNT];
  output_response *reply;
  crpc_call *call;
  crpc_status status;
  crpc_code code;
  size_t count = 0;
  bool ok = true;

  for (size_t i = 0; i < COUNT; i++) {
    grpc__testing__response_parameters__init(&params[i]);
    params[i].size = sizes[i];
    params_list[i] = &params[i];
  }
  request.n_response_parameters = COUNT;
  request.response_parameters = params_list;
  code = grpc__testing__test_service__streaming_output_call__start(
      t->channel, &request, t->opts, &call);
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  while (ok &&
         grpc__testing__test_service__streaming_output_call__recv(
             call, &reply) == CRPC_OK &&
         reply != NULL) {
    if (count < COUNT)
      ok = check_zeros(t, reply->payload, (size_t)sizes[count], "reply");
    count++;
    grpc__testing__streaming_output_call_response__free_unpacked(reply, NULL);
  }
  if (end_call(call, ok, &status) != CRPC_OK && ok)
    return fail_status(t, "StreamingOutputCall", &status);
  if (ok && count != COUNT)
    return fail(t, "%zu replies, want %d", count, (int)COUNT);
  return ok;
}

static bool ping_pong(struct test *t) {
  static const int32_t response_sizes[] = {31415, 9, 2653, 58979};
  static const size_t request_sizes[] = {27182, 8, 1828, 45904};
  struct duplex_request d;
  output_response *reply;
  crpc_call *call;
  crpc_status status;
  crpc_code code;
  bool ok = true;

  code = grpc__testing__test_service__full_duplex_call__start(t->channel,
                                                              t->opts, &call);
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  for (size_t i = 0; ok && i < 4; i++) {
    duplex_request(&d, response_sizes[i], request_sizes[i]);
    if (grpc__testing__test_service__full_duplex_call__send(call, &d.request) !=
            CRPC_OK ||
        grpc__testing__test_service__full_duplex_call__recv(call, &reply) !=
            CRPC_OK)
      break; /* the status tells why */
    if (reply == NULL) {
      ok = fail(t, "the stream ended after %zu replies", i);
      break;
    }
    ok = check_zeros(t, reply->payload, (size_t)response_sizes[i], "reply");
    grpc__testing__streaming_output_call_response__free_unpacked(reply, NULL);
  }
  if (ok && crpc_call_close_send(call) == CRPC_OK &&
      grpc__testing__test_service__full_duplex_call__recv(call, &reply) ==
          CRPC_OK &&
      reply != NULL) {
    grpc__testing__streaming_output_call_response__free_unpacked(reply, NULL);
    ok = fail(t, "more replies than requests");
  }
  if (end_call(call, ok, &status) != CRPC_OK && ok)
    return fail_status(t, "FullDuplexCall", &status);
  return ok;
}

static bool empty_stream(struct test *t) {
  output_response *reply = NULL;
  crpc_call *call;
  crpc_status status;
  crpc_code code;
  bool ok = true;

  code = grpc__testing__test_service__full_duplex_call__start(t->channel,
                                                              t->opts, &call);
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  if (crpc_call_close_send(call) == CRPC_OK &&
      grpc__testing__test_service__full_duplex_call__recv(call, &reply) ==
          CRPC_OK &&
      reply != NULL) {
    grpc__testing__streaming_output_call_response__free_unpacked(reply, NULL);
    ok = fail(t, "a reply to no request");
  }
  if (end_call(call, ok, &status) != CRPC_OK && ok)
    return fail_status(t, "FullDuplexCall", &status);
  return ok;
}

static bool cancel_after_begin(struct test *t) {
  crpc_call *call;
  crpc_status status;
  crpc_code code;

  code = grpc__testing__test_service__streaming_input_call__start(
      t->channel, t->opts, &call);
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  crpc_call_cancel(call);
  end_call(call, true, &status);
  return expect_status(t, "StreamingInputCall", &status, CRPC_CANCELLED, NULL);
}

static bool cancel_after_first_response(struct test *t) {
  struct duplex_request d;
  output_response *reply;
  crpc_call *call;
  crpc_status status;
  crpc_code code;

  code = grpc__testing__test_service__full_duplex_call__start(t->channel,
                                                              t->opts, &call);
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  duplex_request(&d, 31415, 27182);
  if (grpc__testing__test_service__full_duplex_call__send(call, &d.request) ==
          CRPC_OK &&
      grpc__testing__test_service__full_duplex_call__recv(call, &reply) ==
          CRPC_OK) {
    if (reply == NULL) {
      end_call(call, false, &status);
      return fail(t, "no reply before the stream ended");
    }
    grpc__testing__streaming_output_call_response__free_unpacked(reply, NULL);
    crpc_call_cancel(call);
  }
  end_call(call, true, &status);
  return expect_status(t, "FullDuplexCall", &status, CRPC_CANCELLED, NULL);
}

static bool timeout_on_sleeping_server(struct test *t) {
  struct duplex_request d;
  crpc_call_opts *opts = new_opts(1);
  crpc_call *call;
  crpc_status status;
  crpc_code code;

  if (opts == NULL)
    return fail(t, "out of memory");
  code = grpc__testing__test_service__full_duplex_call__start(t->channel, opts,
                                                              &call);
  crpc_call_opts_free(opts);
  if (code == CRPC_DEADLINE_EXCEEDED)
    return true; /* expired before it started: what the case wants */
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  /* The request asks for no reply; the server then waits for more. */
  duplex_request(&d, 0, 27182);
  d.request.n_response_parameters = 0;
  grpc__testing__test_service__full_duplex_call__send(call, &d.request);
  end_call(call, true, &status);
  return expect_status(t, "FullDuplexCall", &status, CRPC_DEADLINE_EXCEEDED,
                       NULL);
}

/* Echo Metadata: the values must come back byte for byte. */
static bool check_echoed(struct test *t, const char *what,
                         const crpc_metadata *headers, const char *initial,
                         const crpc_metadata *trailers, const void *trailing,
                         size_t trailing_len) {
  size_t len;
  const char *got = crpc_metadata_get(headers, ECHO_INITIAL_KEY, &len);

  if (got == NULL || len != strlen(initial) || memcmp(got, initial, len) != 0)
    return fail(t, "%s: header %s is \"%s\", want \"%s\"", what,
                ECHO_INITIAL_KEY, got != NULL ? got : "(absent)", initial);
  got = crpc_metadata_get(trailers, ECHO_TRAILING_KEY, &len);
  if (got == NULL)
    return fail(t, "%s: trailer %s absent", what, ECHO_TRAILING_KEY);
  if (len != trailing_len || memcmp(got, trailing, len) != 0)
    return fail(t, "%s: trailer %s differs (%zu bytes, want %zu)", what,
                ECHO_TRAILING_KEY, len, trailing_len);
  return true;
}

/* Options asking for echoes, capturing the reply metadata. */
static crpc_call_opts *echo_opts(const char *initial, const void *trailing,
                                 size_t trailing_len, crpc_metadata *headers,
                                 crpc_metadata *trailers) {
  crpc_call_opts *opts = new_opts(TIMEOUT_MS);

  if (opts == NULL)
    return NULL;
  if (crpc_call_opts_add_metadata(opts, ECHO_INITIAL_KEY, initial,
                                  strlen(initial)) != CRPC_OK ||
      crpc_call_opts_add_metadata(opts, ECHO_TRAILING_KEY, trailing,
                                  trailing_len) != CRPC_OK) {
    crpc_call_opts_free(opts);
    return NULL;
  }
  crpc_call_opts_capture_metadata(opts, headers, trailers);
  return opts;
}

static bool custom_metadata_unary(struct test *t, crpc_call_opts *opts) {
  simple_request request = GRPC__TESTING__SIMPLE_REQUEST__INIT;
  Grpc__Testing__Payload payload = GRPC__TESTING__PAYLOAD__INIT;
  simple_response *reply;
  crpc_status status;
  bool ok;

  request.response_size = 314159;
  set_zeros(&payload, 271828);
  request.payload = &payload;
  if (grpc__testing__test_service__unary_call__call(
          t->channel, &request, &reply, opts, &status) != CRPC_OK)
    return fail_status(t, "UnaryCall", &status);
  ok = check_zeros(t, reply->payload, 314159, "reply");
  grpc__testing__simple_response__free_unpacked(reply, NULL);
  return ok;
}

static bool custom_metadata_duplex(struct test *t, crpc_call_opts *opts) {
  struct duplex_request d;
  output_response *reply;
  crpc_call *call;
  crpc_status status;
  crpc_code code;
  size_t count = 0;
  bool ok = true;

  code = grpc__testing__test_service__full_duplex_call__start(t->channel, opts,
                                                              &call);
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  duplex_request(&d, 314159, 271828);
  if (grpc__testing__test_service__full_duplex_call__send(call, &d.request) ==
          CRPC_OK &&
      crpc_call_close_send(call) == CRPC_OK) {
    while (ok &&
           grpc__testing__test_service__full_duplex_call__recv(call, &reply) ==
               CRPC_OK &&
           reply != NULL) {
      ok = check_zeros(t, reply->payload, 314159, "reply");
      count++;
      grpc__testing__streaming_output_call_response__free_unpacked(reply, NULL);
    }
  }
  if (end_call(call, ok, &status) != CRPC_OK && ok)
    return fail_status(t, "FullDuplexCall", &status);
  if (ok && count != 1)
    return fail(t, "%zu replies, want 1", count);
  return ok;
}

static bool custom_metadata(struct test *t) {
  static const char initial[] = "test_initial_metadata_value";
  static const uint8_t trailing[] = {0xab, 0xab, 0xab};
  crpc_metadata *headers = NULL, *trailers = NULL;
  crpc_call_opts *opts = NULL;
  bool ok;

  if (crpc_metadata_new(&headers) != CRPC_OK ||
      crpc_metadata_new(&trailers) != CRPC_OK ||
      (opts = echo_opts(initial, trailing, sizeof(trailing), headers,
                        trailers)) == NULL) {
    ok = fail(t, "out of memory");
    goto out;
  }
  ok = custom_metadata_unary(t, opts) &&
       check_echoed(t, "UnaryCall", headers, initial, trailers, trailing,
                    sizeof(trailing)) &&
       custom_metadata_duplex(t, opts) &&
       check_echoed(t, "FullDuplexCall", headers, initial, trailers, trailing,
                    sizeof(trailing));
out:
  crpc_call_opts_free(opts);
  crpc_metadata_free(headers);
  crpc_metadata_free(trailers);
  return ok;
}

/* UnaryCall asking for |code| and |message|; checks they come back. */
static bool unary_status(struct test *t, crpc_code code, const char *message) {
  simple_request request = GRPC__TESTING__SIMPLE_REQUEST__INIT;
  Grpc__Testing__EchoStatus echo = GRPC__TESTING__ECHO_STATUS__INIT;
  simple_response *reply;
  crpc_status status;

  echo.code = (int32_t)code;
  echo.message = (char *)message;
  request.response_status = &echo;
  if (grpc__testing__test_service__unary_call__call(
          t->channel, &request, &reply, t->opts, &status) == CRPC_OK) {
    grpc__testing__simple_response__free_unpacked(reply, NULL);
    return fail(t, "UnaryCall asking for %s succeeded", crpc_code_name(code));
  }
  return expect_status(t, "UnaryCall", &status, code, message);
}

static bool status_code_and_message(struct test *t) {
  static const char message[] = "test status message";
  Grpc__Testing__EchoStatus echo = GRPC__TESTING__ECHO_STATUS__INIT;
  output_request request = GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
  crpc_call *call;
  crpc_status status;
  crpc_code code;

  if (!unary_status(t, CRPC_UNKNOWN, message))
    return false;
  echo.code = CRPC_UNKNOWN;
  echo.message = (char *)message;
  request.response_status = &echo;
  code = grpc__testing__test_service__full_duplex_call__start(t->channel,
                                                              t->opts, &call);
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  if (grpc__testing__test_service__full_duplex_call__send(call, &request) ==
      CRPC_OK)
    crpc_call_close_send(call);
  end_call(call, true, &status);
  return expect_status(t, "FullDuplexCall", &status, CRPC_UNKNOWN, message);
}

static bool special_status_message(struct test *t) {
  return unary_status(t, CRPC_UNKNOWN,
                      "\t\ntest with whitespace\r\nand Unicode BMP " SMILE
                      " and non-BMP " DEVIL "\t\n");
}

static bool unimplemented_method(struct test *t) {
  Grpc__Testing__Empty request = GRPC__TESTING__EMPTY__INIT, *reply;
  crpc_status status;

  if (grpc__testing__test_service__unimplemented_call__call(
          t->channel, &request, &reply, t->opts, &status) == CRPC_OK) {
    grpc__testing__empty__free_unpacked(reply, NULL);
    return fail(t, "UnimplementedCall succeeded");
  }
  return expect_status(t, "UnimplementedCall", &status, CRPC_UNIMPLEMENTED,
                       NULL);
}

static bool unimplemented_service(struct test *t) {
  Grpc__Testing__Empty request = GRPC__TESTING__EMPTY__INIT, *reply;
  crpc_status status;

  if (grpc__testing__unimplemented_service__unimplemented_call__call(
          t->channel, &request, &reply, t->opts, &status) == CRPC_OK) {
    grpc__testing__empty__free_unpacked(reply, NULL);
    return fail(t, "UnimplementedCall succeeded");
  }
  return expect_status(t, "UnimplementedCall", &status, CRPC_UNIMPLEMENTED,
                       NULL);
}

/* Every non-OK code, with a message that control characters, UTF-8 and '%'
 * force to be percent-encoded (PROTOCOL-HTTP2.md: Status-Message). */
static bool crpc_all_status_codes(struct test *t) {
  char message[128];

  for (int code = CRPC_CANCELLED; code <= CRPC_UNAUTHENTICATED; code++) {
    snprintf(message, sizeof(message),
             "code %d:\ttab\r\ncrlf \xc3\xa9" SMILE DEVIL " 100%% %%41 %%zz %%",
             code);
    if (!unary_status(t, (crpc_code)code, message))
      return false;
  }
  return true;
}

/* Echoes of ASCII (headers) and binary (trailers) values: every byte value,
 * then short values whose base64 needs padding. */
static bool crpc_binary_metadata(struct test *t) {
  uint8_t all_bytes[256];
  char ascii[128], *p = ascii;
  static const uint8_t one[] = {0x00}, two[] = {0xff, 0xfe};
  struct {
    const char *initial;
    const uint8_t *trailing;
    size_t trailing_len;
  } values[] = {{ascii, all_bytes, sizeof(all_bytes)},
                {"a", one, sizeof(one)},
                {"b c", two, sizeof(two)}};
  bool ok = true;

  for (int i = 0; i < 256; i++)
    all_bytes[i] = (uint8_t)i;
  /* Printable ASCII; HTTP/2 forbids spaces only at either end. */
  for (char c = 0x21; c < 0x7f; c++)
    *p++ = c;
  strcpy(p, " inner  spaces.");

  for (size_t i = 0; ok && i < sizeof(values) / sizeof(values[0]); i++) {
    simple_request request = GRPC__TESTING__SIMPLE_REQUEST__INIT;
    simple_response *reply;
    crpc_metadata *headers = NULL, *trailers = NULL;
    crpc_call_opts *opts = NULL;
    crpc_status status;

    if (crpc_metadata_new(&headers) != CRPC_OK ||
        crpc_metadata_new(&trailers) != CRPC_OK ||
        (opts = echo_opts(values[i].initial, values[i].trailing,
                          values[i].trailing_len, headers, trailers)) == NULL) {
      ok = fail(t, "out of memory or metadata refused");
    } else if (grpc__testing__test_service__unary_call__call(
                   t->channel, &request, &reply, opts, &status) != CRPC_OK) {
      ok = fail_status(t, "UnaryCall", &status);
    } else {
      grpc__testing__simple_response__free_unpacked(reply, NULL);
      ok = check_echoed(t, "UnaryCall", headers, values[i].initial, trailers,
                        values[i].trailing, values[i].trailing_len);
    }
    crpc_call_opts_free(opts);
    crpc_metadata_free(headers);
    crpc_metadata_free(trailers);
  }
  return ok;
}

/*
 * The compression cases. crpc does not tell a client whether a reply came
 * compressed, so server_compressed_* check only that the calls succeed with
 * the right payloads (the descriptions allow this: "some languages may not
 * have access to the message flags").
 */

/* Options with TIMEOUT_MS and, unless NULL, |encoding| for the requests. */
static crpc_call_opts *compression_opts(struct test *t, const char *encoding) {
  crpc_call_opts *opts = new_opts(TIMEOUT_MS);
  crpc_code code;

  if (opts == NULL) {
    fail(t, "out of memory");
    return NULL;
  }
  if (encoding != NULL &&
      (code = crpc_call_opts_set_compression(opts, encoding)) != CRPC_OK) {
    fail(t, "set_compression(%s): %s", encoding, crpc_code_name(code));
    crpc_call_opts_free(opts);
    return NULL;
  }
  return opts;
}

/*
 * One 271828-byte UnaryCall: |encoding| (or NULL) compresses the request,
 * |expect| (0/1, -1 unset) fills expect_compressed, |respond| (0/1, -1
 * unset) response_compressed. Wants |want| as the status.
 */
static bool compressed_unary(struct test *t, const char *what,
                             const char *encoding, int expect, int respond,
                             crpc_code want) {
  simple_request request = GRPC__TESTING__SIMPLE_REQUEST__INIT;
  Grpc__Testing__Payload payload = GRPC__TESTING__PAYLOAD__INIT;
  Grpc__Testing__BoolValue expect_value = GRPC__TESTING__BOOL_VALUE__INIT;
  Grpc__Testing__BoolValue respond_value = GRPC__TESTING__BOOL_VALUE__INIT;
  simple_response *reply = NULL;
  crpc_call_opts *opts;
  crpc_status status;
  bool ok;

  if ((opts = compression_opts(t, encoding)) == NULL)
    return false;
  request.response_type = GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE;
  request.response_size = 314159;
  set_zeros(&payload, 271828);
  request.payload = &payload;
  if (expect >= 0) {
    expect_value.value = expect != 0;
    request.expect_compressed = &expect_value;
  }
  if (respond >= 0) {
    respond_value.value = respond != 0;
    request.response_compressed = &respond_value;
  }
  grpc__testing__test_service__unary_call__call(t->channel, &request, &reply,
                                                opts, &status);
  crpc_call_opts_free(opts);
  if (want != CRPC_OK) {
    if (reply != NULL)
      grpc__testing__simple_response__free_unpacked(reply, NULL);
    return expect_status(t, what, &status, want, NULL);
  }
  if (status.code != CRPC_OK)
    return fail_status(t, what, &status);
  ok = check_zeros(t, reply->payload, 314159, what);
  grpc__testing__simple_response__free_unpacked(reply, NULL);
  return ok;
}

static bool client_compressed_unary(struct test *t) {
  /* The probe: expect_compressed=true sent uncompressed must be refused. */
  return compressed_unary(t, "probe", NULL, 1, -1, CRPC_INVALID_ARGUMENT) &&
         compressed_unary(t, "compressed", "gzip", 1, -1, CRPC_OK) &&
         compressed_unary(t, "uncompressed", NULL, 0, -1, CRPC_OK);
}

static bool server_compressed_unary(struct test *t) {
  return compressed_unary(t, "response_compressed=true", NULL, -1, 1,
                          CRPC_OK) &&
         compressed_unary(t, "response_compressed=false", NULL, -1, 0,
                          CRPC_OK);
}

/*
 * One StreamingInputCall sending |count| requests of |sizes|, each with
 * expect_compressed = |expect[i]| and compressed as |compress[i]| says
 * (gzip is set on the call when any is). Stores the aggregated size.
 */
static bool compressed_input(struct test *t, const char *what,
                             const size_t *sizes, const bool *expect,
                             const bool *compress, size_t count,
                             crpc_status *status, int32_t *total) {
  Grpc__Testing__StreamingInputCallRequest request =
      GRPC__TESTING__STREAMING_INPUT_CALL_REQUEST__INIT;
  Grpc__Testing__Payload payload = GRPC__TESTING__PAYLOAD__INIT;
  Grpc__Testing__BoolValue expect_value = GRPC__TESTING__BOOL_VALUE__INIT;
  Grpc__Testing__StreamingInputCallResponse *reply = NULL;
  crpc_call_opts *opts;
  crpc_call *call;
  crpc_code code;
  bool any = false;

  for (size_t i = 0; i < count; i++)
    any = any || compress[i];
  if ((opts = compression_opts(t, any ? "gzip" : NULL)) == NULL)
    return false;
  code = grpc__testing__test_service__streaming_input_call__start(t->channel,
                                                                  opts, &call);
  crpc_call_opts_free(opts);
  if (code != CRPC_OK)
    return fail(t, "%s: start: %s", what, crpc_code_name(code));
  request.payload = &payload;
  request.expect_compressed = &expect_value;
  for (size_t i = 0; i < count; i++) {
    set_zeros(&payload, sizes[i]);
    expect_value.value = expect[i];
    if (any)
      crpc_call_set_send_compression(call, compress[i]);
    if (grpc__testing__test_service__streaming_input_call__send(
            call, &request) != CRPC_OK)
      break; /* the status tells why */
  }
  grpc__testing__test_service__streaming_input_call__finish(call, &reply,
                                                            status);
  crpc_call_free(call);
  *total = 0;
  if (reply != NULL) {
    *total = reply->aggregated_payload_size;
    grpc__testing__streaming_input_call_response__free_unpacked(reply, NULL);
  }
  return true;
}

static bool client_compressed_streaming(struct test *t) {
  static const size_t probe_size[] = {27182};
  static const bool probe_expect[] = {true}, probe_compress[] = {false};
  static const size_t sizes[] = {27182, 45904};
  static const bool expect[] = {true, false}, compress[] = {true, false};
  crpc_status status;
  int32_t total;

  /* The probe: expect_compressed=true sent uncompressed must be refused. */
  if (!compressed_input(t, "probe", probe_size, probe_expect, probe_compress,
                        1, &status, &total))
    return false;
  if (!expect_status(t, "probe", &status, CRPC_INVALID_ARGUMENT, NULL))
    return false;
  if (!compressed_input(t, "StreamingInputCall", sizes, expect, compress, 2,
                        &status, &total))
    return false;
  if (status.code != CRPC_OK)
    return fail_status(t, "StreamingInputCall", &status);
  if (total != 73086)
    return fail(t, "aggregated_payload_size %d, want 73086", (int)total);
  return true;
}

static bool server_compressed_streaming(struct test *t) {
  static const int32_t sizes[] = {31415, 92653};
  static const bool compressed[] = {true, false};
  enum { COUNT = sizeof(sizes) / sizeof(sizes[0]) };
  output_request request = GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
  Grpc__Testing__ResponseParameters params[COUNT], *params_list[COUNT];
  Grpc__Testing__BoolValue values[COUNT];
  output_response *reply;
  crpc_call *call;
  crpc_status status;
  crpc_code code;
  size_t count = 0;
  bool ok = true;

  for (size_t i = 0; i < COUNT; i++) {
    grpc__testing__response_parameters__init(&params[i]);
    grpc__testing__bool_value__init(&values[i]);
    values[i].value = compressed[i];
    params[i].size = sizes[i];
    params[i].compressed = &values[i];
    params_list[i] = &params[i];
  }
  request.response_type = GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE;
  request.n_response_parameters = COUNT;
  request.response_parameters = params_list;
  code = grpc__testing__test_service__streaming_output_call__start(
      t->channel, &request, t->opts, &call);
  if (code != CRPC_OK)
    return fail(t, "start: %s", crpc_code_name(code));
  while (ok &&
         grpc__testing__test_service__streaming_output_call__recv(
             call, &reply) == CRPC_OK &&
         reply != NULL) {
    if (count < COUNT)
      ok = check_zeros(t, reply->payload, (size_t)sizes[count], "reply");
    count++;
    grpc__testing__streaming_output_call_response__free_unpacked(reply, NULL);
  }
  if (end_call(call, ok, &status) != CRPC_OK && ok)
    return fail_status(t, "StreamingOutputCall", &status);
  if (ok && count != COUNT)
    return fail(t, "%zu replies, want %d", count, (int)COUNT);
  return ok;
}

static const struct {
  const char *name;
  bool (*run)(struct test *t);
} cases[] = {
    {"empty_unary", empty_unary},
    {"large_unary", large_unary},
    {"client_streaming", client_streaming},
    {"server_streaming", server_streaming},
    {"ping_pong", ping_pong},
    {"empty_stream", empty_stream},
    {"cancel_after_begin", cancel_after_begin},
    {"cancel_after_first_response", cancel_after_first_response},
    {"timeout_on_sleeping_server", timeout_on_sleeping_server},
    {"custom_metadata", custom_metadata},
    {"status_code_and_message", status_code_and_message},
    {"special_status_message", special_status_message},
    {"unimplemented_method", unimplemented_method},
    {"unimplemented_service", unimplemented_service},
    {"crpc_all_status_codes", crpc_all_status_codes},
    {"crpc_binary_metadata", crpc_binary_metadata},
    {"crpc_large_unary_1m", crpc_large_unary_1m},
    {"client_compressed_unary", client_compressed_unary},
    {"server_compressed_unary", server_compressed_unary},
    {"client_compressed_streaming", client_compressed_streaming},
    {"server_compressed_streaming", server_compressed_streaming},
};

enum { CASE_COUNT = sizeof(cases) / sizeof(cases[0]) };

/* Prints |s| on one line, escaping control bytes as Python's repr() would. */
static void print_escaped(const char *s) {
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;

    if (c == '\t')
      fputs("\\t", stdout);
    else if (c == '\r')
      fputs("\\r", stdout);
    else if (c == '\n')
      fputs("\\n", stdout);
    else if (c < 0x20 || c == 0x7f)
      printf("\\x%02x", c);
    else
      putchar(c);
  }
}

static bool run_case(crpc_channel *channel, size_t i) {
  struct test t = {.channel = channel};
  bool ok;

  if ((t.opts = new_opts(TIMEOUT_MS)) == NULL)
    ok = fail(&t, "out of memory");
  else
    ok = cases[i].run(&t);
  crpc_call_opts_free(t.opts);
  if (ok) {
    printf("PASS %s\n", cases[i].name);
  } else {
    printf("FAIL %s: ", cases[i].name);
    print_escaped(t.reason);
    putchar('\n');
  }
  fflush(stdout);
  return ok;
}

/* TLS credentials as the flags say, set on |opts|; false on error. */
static bool set_tls(crpc_channel_opts *opts, const char *ca_file,
                    const char *host_override, const char *cert_file,
                    const char *key_file) {
  crpc_tls_opts *tls = NULL;
  crpc_channel_credentials *creds = NULL;
  crpc_status why = {0};
  bool ok =
      crpc_tls_opts_new(&tls) == CRPC_OK &&
      (ca_file == NULL || crpc_tls_opts_set_ca_file(tls, ca_file) == CRPC_OK) &&
      (host_override == NULL ||
       crpc_tls_opts_set_server_name_override(tls, host_override) == CRPC_OK) &&
      (cert_file == NULL ||
       crpc_tls_opts_set_cert_files(tls, cert_file, key_file) == CRPC_OK);
  if (ok && crpc_channel_credentials_new_tls(&creds, tls, &why) != CRPC_OK) {
    fprintf(stderr, "interop_client: TLS: %s\n", why.message);
    ok = false;
  }
  if (ok)
    crpc_channel_opts_set_credentials(opts, creds);
  crpc_channel_credentials_free(creds);
  crpc_tls_opts_free(tls);
  return ok;
}

static int usage(const char *arg) {
  fprintf(stderr,
          "interop_client: bad argument '%s'\n"
          "usage: interop_client --server_port=N [--server_host=HOST]\n"
          "         [--test_case=NAME|all] [--server_host_override=HOST]\n"
          "         [--use_tls[=BOOL]] [--use_test_ca[=BOOL]] [--ca_file=PEM]\n"
          "         [--client_cert_file=PEM --client_key_file=PEM]\n",
          arg);
  return 2;
}

int main(int argc, char **argv) {
  const char *host = "localhost", *host_override = NULL;
  const char *test_case = "large_unary", *value;
  int port = -1, failed = 0;
  const char *ca_file = CRPC_INTEROP_CERTS_DIR "/ca.pem";
  const char *cert_file = NULL, *key_file = NULL;
  bool use_tls = false, use_test_ca = false, found = false;
  char target[300];
  crpc_channel_opts *channel_opts = NULL;
  crpc_channel *channel = NULL;
  crpc_code code;

  for (int i = 1; i < argc; i++) {
    if ((value = interop_flag(argv[i], "server_port")) != NULL) {
      if (!interop_flag_port(value, &port))
        return usage(argv[i]);
    } else if ((value = interop_flag(argv[i], "server_host")) != NULL &&
               *value != '\0') {
      host = value;
    } else if ((value = interop_flag(argv[i], "server_host_override")) !=
                   NULL &&
               *value != '\0') {
      host_override = value;
    } else if ((value = interop_flag(argv[i], "test_case")) != NULL &&
               *value != '\0') {
      test_case = value;
    } else if ((value = interop_flag(argv[i], "use_tls")) != NULL) {
      if (!interop_flag_bool(value, &use_tls))
        return usage(argv[i]);
    } else if ((value = interop_flag(argv[i], "use_test_ca")) != NULL) {
      if (!interop_flag_bool(value, &use_test_ca))
        return usage(argv[i]);
    } else if ((value = interop_flag(argv[i], "ca_file")) != NULL &&
               *value != '\0') {
      ca_file = value;
    } else if ((value = interop_flag(argv[i], "client_cert_file")) != NULL &&
               *value != '\0') {
      cert_file = value;
    } else if ((value = interop_flag(argv[i], "client_key_file")) != NULL &&
               *value != '\0') {
      key_file = value;
    } else {
      return usage(argv[i]);
    }
  }
  if (port <= 0)
    return usage("--server_port missing");
  if ((cert_file == NULL) != (key_file == NULL))
    return usage("--client_cert_file and --client_key_file go together");
  for (size_t i = 0; i < CASE_COUNT; i++)
    found = found || strcmp(test_case, cases[i].name) == 0;
  if (!found && strcmp(test_case, "all") != 0) {
    fprintf(stderr, "interop_client: unknown test case '%s'\n", test_case);
    return 2;
  }

  snprintf(target, sizeof(target), "%s:%d", host, port);
  if ((code = crpc_channel_opts_new(&channel_opts)) != CRPC_OK ||
      (host_override != NULL &&
       (code = crpc_channel_opts_set_authority(channel_opts, host_override)) !=
           CRPC_OK) ||
      (use_tls &&
       !set_tls(channel_opts, use_test_ca ? ca_file : NULL, host_override,
                cert_file, key_file) &&
       (code = CRPC_INVALID_ARGUMENT)) ||
      (code = crpc_channel_new(&channel, target, channel_opts)) != CRPC_OK) {
    fprintf(stderr, "interop_client: cannot open a channel to %s: %s\n", target,
            crpc_code_name(code));
    crpc_channel_opts_free(channel_opts);
    return 1;
  }
  crpc_channel_opts_free(channel_opts);

  for (size_t i = 0; i < CASE_COUNT; i++)
    if (strcmp(test_case, "all") == 0 || strcmp(test_case, cases[i].name) == 0)
      failed += !run_case(channel, i);
  crpc_channel_free(channel);
  return failed > 0 ? 1 : 0;
}
