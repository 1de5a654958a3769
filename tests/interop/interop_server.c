/*
 * tests/interop/interop_server.c: the gRPC interop test server on crpc.
 *
 * Serves grpc.testing.TestService with the server features of grpc/grpc
 * doc/interop-test-descriptions.md (auth excepted), leaving
 * UnimplementedCall and grpc.testing.UnimplementedService unregistered so
 * that clients see UNIMPLEMENTED. Prints "listening on PORT" once it
 * accepts calls and runs until SIGTERM or SIGINT. See doc/interop.md.
 * It also serves server reflection and health checking (grpc.health.v1,
 * "" and grpc.testing.TestService SERVING), so that grpcurl or buf curl can
 * explore it (doc/debugging.md); --no_reflection_health leaves them out.
 *
 *   interop_server --port=N [--host=127.0.0.1] [--use_tls[=BOOL]]
 *                  [--no_reflection_health[=BOOL]]
 *                  [--tls_cert_file=PEM --tls_key_file=PEM]
 *                  [--client_ca_file=PEM]
 *
 * With --use_tls the certificate and key default to the test ones shipped
 * in tests/interop/certs (server1.pem: *.test.google.fr, localhost,
 * 127.0.0.1), as gRPC Go's interop server does. --client_ca_file makes it
 * mutual TLS: clients must present a certificate signed by that CA
 * (tests/interop/certs/client.pem is).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crpc/crpc.h>

#include "grpc/testing/test.crpc.h"
#include "grpc/testing/test.pb-c.h"
#include "interop_flags.h"

#ifndef CRPC_INTEROP_CERTS_DIR
#define CRPC_INTEROP_CERTS_DIR "tests/interop/certs"
#endif

#define ECHO_INITIAL_KEY "x-grpc-test-echo-initial"
#define ECHO_TRAILING_KEY "x-grpc-test-echo-trailing-bin"

typedef Grpc__Testing__StreamingOutputCallRequest output_request;
typedef Grpc__Testing__StreamingOutputCallResponse output_response;

/* Echo Metadata: the initial key back in headers, the -bin one in trailers. */
static crpc_code echo_metadata(crpc_server_call *call) {
  const crpc_metadata *md = crpc_server_call_metadata(call);
  const char *value;
  size_t len;
  crpc_code code = CRPC_OK;

  if ((value = crpc_metadata_get(md, ECHO_INITIAL_KEY, &len)) != NULL)
    code = crpc_server_call_add_header(call, ECHO_INITIAL_KEY, value, len);
  if (code == CRPC_OK &&
      (value = crpc_metadata_get(md, ECHO_TRAILING_KEY, &len)) != NULL)
    code = crpc_server_call_add_trailer(call, ECHO_TRAILING_KEY, value, len);
  return code;
}

/* Echo Status: a non-zero response_status ends the call with it. */
static bool echoes_status(const Grpc__Testing__EchoStatus *status) {
  return status != NULL && status->code != 0;
}

static crpc_code fail_with(crpc_server_call *call,
                           const Grpc__Testing__EchoStatus *status) {
  crpc_code code = status->code > 0 && status->code <= CRPC_UNAUTHENTICATED
                       ? (crpc_code)status->code
                       : CRPC_UNKNOWN;

  return crpc_server_call_fail(call, code, "%s", status->message);
}

static crpc_code check_type(crpc_server_call *call,
                            Grpc__Testing__PayloadType type, int32_t size) {
  if (type != GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE)
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "unsupported response_type %d", (int)type);
  if (size < 0)
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "negative response size %" PRId32, size);
  return CRPC_OK;
}

/*
 * CompressedRequest: a request whose expect_compressed is set must have come
 * compressed (true) or uncompressed (false), else INVALID_ARGUMENT. The
 * client_compressed_* cases first probe with expect_compressed=true sent
 * uncompressed and count on this failure.
 */
static crpc_code check_compression(crpc_server_call *call,
                                   const Grpc__Testing__BoolValue *expect) {
  bool compressed = crpc_server_call_was_compressed(call);

  if (expect == NULL || expect->value == compressed)
    return CRPC_OK;
  return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                               expect->value
                                   ? "expected a compressed request"
                                   : "expected an uncompressed request");
}

static crpc_code empty_call(crpc_server_call *call,
                            const Grpc__Testing__Empty *request,
                            Grpc__Testing__Empty *reply, void *user_data) {
  return echo_metadata(call);
}

static crpc_code unary_call(crpc_server_call *call,
                            const Grpc__Testing__SimpleRequest *request,
                            Grpc__Testing__SimpleResponse *reply,
                            void *user_data) {
  Grpc__Testing__Payload *payload;
  size_t len = (size_t)request->response_size;
  crpc_code code;

  if ((code = echo_metadata(call)) != CRPC_OK)
    return code;
  if ((code = check_compression(call, request->expect_compressed)) != CRPC_OK)
    return code;
  if (echoes_status(request->response_status))
    return fail_with(call, request->response_status);
  code = check_type(call, request->response_type, request->response_size);
  if (code != CRPC_OK)
    return code;
  /* CompressedResponse: gzip the reply if asked (and the client accepts). */
  if (request->response_compressed != NULL &&
      request->response_compressed->value &&
      (code = crpc_server_call_set_compression(call, "gzip")) != CRPC_OK)
    return code;

  /* Reply fields live in the call's memory, freed once the reply is sent. */
  payload = crpc_server_call_alloc(call, sizeof(*payload));
  if (payload == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  grpc__testing__payload__init(payload);
  if (len > 0) {
    payload->body.data = crpc_server_call_alloc(call, len);
    if (payload->body.data == NULL)
      return CRPC_RESOURCE_EXHAUSTED;
    memset(payload->body.data, 0, len);
    payload->body.len = len;
  }
  reply->payload = payload;
  return CRPC_OK;
}

/* No caching proxy here: the reply just differs from call to call. */
static crpc_code
cacheable_unary_call(crpc_server_call *call,
                     const Grpc__Testing__SimpleRequest *request,
                     Grpc__Testing__SimpleResponse *reply, void *user_data) {
  Grpc__Testing__Payload *payload;
  struct timespec now;
  char stamp[32];

  payload = crpc_server_call_alloc(call, sizeof(*payload));
  if (payload == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  grpc__testing__payload__init(payload);
  clock_gettime(CLOCK_REALTIME, &now);
  snprintf(stamp, sizeof(stamp), "%lld%09ld", (long long)now.tv_sec,
           now.tv_nsec);
  payload->body.data = (uint8_t *)crpc_server_call_strdup(call, stamp);
  if (payload->body.data == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  payload->body.len = strlen(stamp);
  reply->payload = payload;
  return crpc_server_call_add_header(call, "cache-control", "max-age=60", 10);
}

static void sleep_us(int32_t us) {
  struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};

  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/*
 * One reply per ResponseParameters, as StreamingOutputCall and both duplex
 * methods answer. They share the reply type, so the generic write serves all
 * three.
 */
static crpc_code write_replies(crpc_server_call *call,
                               const output_request *request) {
  bool compression = false;
  crpc_code code;

  if (echoes_status(request->response_status))
    return fail_with(call, request->response_status);
  /*
   * CompressedResponse: once any reply asks about compression, the call
   * gzips, and each reply turns it on or off as its parameters say. Only
   * before the first write: in the duplex methods a later request cannot.
   */
  for (size_t i = 0; i < request->n_response_parameters; i++) {
    if (request->response_parameters[i]->compressed != NULL) {
      compression =
          crpc_server_call_set_compression(call, "gzip") == CRPC_OK;
      break;
    }
  }
  for (size_t i = 0; i < request->n_response_parameters; i++) {
    const Grpc__Testing__ResponseParameters *params =
        request->response_parameters[i];
    output_response reply = GRPC__TESTING__STREAMING_OUTPUT_CALL_RESPONSE__INIT;
    Grpc__Testing__Payload payload = GRPC__TESTING__PAYLOAD__INIT;

    if ((code = check_type(call, request->response_type, params->size)) !=
        CRPC_OK)
      return code;
    if (params->interval_us > 0)
      sleep_us(params->interval_us);
    payload.body.len = (size_t)params->size;
    if (payload.body.len > 0 &&
        (payload.body.data = calloc(1, payload.body.len)) == NULL)
      return CRPC_RESOURCE_EXHAUSTED;
    reply.payload = &payload;
    if (compression)
      crpc_server_call_set_send_compression(
          call, params->compressed != NULL && params->compressed->value);
    code = crpc_server_call_write(call, &reply.base);
    free(payload.body.data);
    if (code != CRPC_OK)
      return code;
  }
  return CRPC_OK;
}

static crpc_code streaming_output_call(crpc_server_call *call,
                                       const output_request *request,
                                       void *user_data) {
  crpc_code code = echo_metadata(call);

  return code != CRPC_OK ? code : write_replies(call, request);
}

static crpc_code
streaming_input_call(crpc_server_call *call,
                     Grpc__Testing__StreamingInputCallResponse *reply,
                     void *user_data) {
  Grpc__Testing__StreamingInputCallRequest *request;
  size_t total = 0;
  crpc_code code;

  if ((code = echo_metadata(call)) != CRPC_OK)
    return code;
  for (;;) {
    code =
        grpc__testing__test_service__streaming_input_call__read(call, &request);
    if (code != CRPC_OK)
      return code;
    if (request == NULL)
      break;
    code = check_compression(call, request->expect_compressed);
    if (code != CRPC_OK) {
      grpc__testing__streaming_input_call_request__free_unpacked(request,
                                                                 NULL);
      return code;
    }
    if (request->payload != NULL)
      total += request->payload->body.len;
    grpc__testing__streaming_input_call_request__free_unpacked(request, NULL);
  }
  reply->aggregated_payload_size = (int32_t)total;
  return CRPC_OK;
}

static crpc_code full_duplex_call(crpc_server_call *call, void *user_data) {
  output_request *request;
  crpc_code code;

  if ((code = echo_metadata(call)) != CRPC_OK)
    return code;
  while ((code = grpc__testing__test_service__full_duplex_call__read(
              call, &request)) == CRPC_OK &&
         request != NULL) {
    code = write_replies(call, request);
    grpc__testing__streaming_output_call_request__free_unpacked(request, NULL);
    if (code != CRPC_OK)
      return code;
  }
  return code;
}

/* Buffers every request until the client half-closes, then answers. */
static crpc_code half_duplex_call(crpc_server_call *call, void *user_data) {
  output_request **requests = NULL, *request;
  size_t count = 0;
  crpc_code code;

  if ((code = echo_metadata(call)) != CRPC_OK)
    return code;
  while ((code = grpc__testing__test_service__half_duplex_call__read(
              call, &request)) == CRPC_OK &&
         request != NULL) {
    output_request **grown = realloc(requests, (count + 1) * sizeof(*grown));

    if (grown == NULL) {
      grpc__testing__streaming_output_call_request__free_unpacked(request,
                                                                  NULL);
      code = CRPC_RESOURCE_EXHAUSTED;
      break;
    }
    requests = grown;
    requests[count++] = request;
  }
  for (size_t i = 0; i < count && code == CRPC_OK; i++)
    code = write_replies(call, requests[i]);
  for (size_t i = 0; i < count; i++)
    grpc__testing__streaming_output_call_request__free_unpacked(requests[i],
                                                                NULL);
  free(requests);
  return code;
}

static const Grpc__Testing__TestService_Handlers handlers = {
    .empty_call = empty_call,
    .unary_call = unary_call,
    .cacheable_unary_call = cacheable_unary_call,
    .streaming_output_call = streaming_output_call,
    .streaming_input_call = streaming_input_call,
    .full_duplex_call = full_duplex_call,
    .half_duplex_call = half_duplex_call,
    /* .unimplemented_call stays NULL: clients test UNIMPLEMENTED with it. */
};

/* Server options with TLS credentials from the files given; NULL on error. */
static crpc_server_opts *tls_server_opts(const char *cert_file,
                                         const char *key_file,
                                         const char *client_ca_file) {
  crpc_server_opts *opts = NULL;
  crpc_tls_opts *tls = NULL;
  crpc_server_credentials *creds = NULL;
  crpc_status why = {0};
  crpc_code code;
  if ((code = crpc_server_opts_new(&opts)) != CRPC_OK ||
      (code = crpc_tls_opts_new(&tls)) != CRPC_OK ||
      (code = crpc_tls_opts_set_cert_files(tls, cert_file, key_file)) !=
          CRPC_OK ||
      (client_ca_file != NULL &&
       (code = crpc_tls_opts_set_ca_file(tls, client_ca_file)) != CRPC_OK)) {
    fprintf(stderr, "interop_server: %s\n", crpc_code_name(code));
    goto fail;
  }
  crpc_tls_opts_set_require_client_cert(tls, client_ca_file != NULL);
  if (crpc_server_credentials_new_tls(&creds, tls, &why) != CRPC_OK) {
    fprintf(stderr, "interop_server: TLS: %s\n", why.message);
    goto fail;
  }
  crpc_server_opts_set_credentials(opts, creds);
  crpc_server_credentials_free(creds);
  crpc_tls_opts_free(tls);
  return opts;

fail:
  crpc_tls_opts_free(tls);
  crpc_server_opts_free(opts);
  return NULL;
}

static int usage(const char *arg) {
  fprintf(stderr,
          "interop_server: bad argument '%s'\n"
          "usage: interop_server --port=N [--host=ADDR] [--use_tls[=BOOL]]\n"
          "                      [--no_reflection_health[=BOOL]]\n"
          "                      [--tls_cert_file=PEM --tls_key_file=PEM]\n"
          "                      [--client_ca_file=PEM]\n",
          arg);
  return 2;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1", *value;
  int port = -1;
  bool use_tls = false, no_reflection_health = false;
  const char *cert_file = CRPC_INTEROP_CERTS_DIR "/server1.pem";
  const char *key_file = CRPC_INTEROP_CERTS_DIR "/server1.key";
  const char *client_ca_file = NULL;
  char address[300];
  crpc_server *server = NULL;
  crpc_server_opts *opts = NULL;
  crpc_health *health = NULL;
  sigset_t stop_signals;
  int signo;
  crpc_code code;

  for (int i = 1; i < argc; i++) {
    if ((value = interop_flag(argv[i], "port")) != NULL) {
      if (!interop_flag_port(value, &port))
        return usage(argv[i]);
    } else if ((value = interop_flag(argv[i], "host")) != NULL &&
               *value != '\0') {
      host = value;
    } else if ((value = interop_flag(argv[i], "use_tls")) != NULL) {
      if (!interop_flag_bool(value, &use_tls))
        return usage(argv[i]);
    } else if ((value = interop_flag(argv[i], "no_reflection_health")) !=
               NULL) {
      if (!interop_flag_bool(value, &no_reflection_health))
        return usage(argv[i]);
    } else if ((value = interop_flag(argv[i], "tls_cert_file")) != NULL &&
               *value != '\0') {
      cert_file = value;
    } else if ((value = interop_flag(argv[i], "tls_key_file")) != NULL &&
               *value != '\0') {
      key_file = value;
    } else if ((value = interop_flag(argv[i], "client_ca_file")) != NULL &&
               *value != '\0') {
      client_ca_file = value;
    } else {
      return usage(argv[i]);
    }
  }
  if (port < 0)
    return usage("--port missing");
  if (use_tls &&
      (opts = tls_server_opts(cert_file, key_file, client_ca_file)) == NULL)
    return 1;

  /* Blocked before crpc starts its threads, which inherit the mask, so that
   * only sigwait() below sees these signals. */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

  snprintf(address, sizeof(address), "%s:%d", host, port);
  code = crpc_server_new(&server, opts);
  crpc_server_opts_free(opts);
  if (code != CRPC_OK ||
      (code = grpc__testing__test_service__register_handlers(
           server, &handlers, NULL)) != CRPC_OK ||
      (!no_reflection_health &&
       ((code = crpc_reflection_register(server)) != CRPC_OK ||
        (code = crpc_health_register(server, &health)) != CRPC_OK ||
        (code = crpc_health_set(health, "grpc.testing.TestService",
                                CRPC_HEALTH_SERVING)) != CRPC_OK)) ||
      (code = crpc_server_listen(server, address, &port)) != CRPC_OK ||
      (code = crpc_server_start(server)) != CRPC_OK) {
    fprintf(stderr, "interop_server: cannot serve on %s: %s\n", address,
            crpc_code_name(code));
    crpc_server_free(server);
    crpc_health_free(health);
    return 1;
  }
  printf("listening on %d\n", port);
  fflush(stdout);

  sigwait(&stop_signals, &signo);
  crpc_server_shutdown(server, 1000);
  crpc_server_free(server);
  crpc_health_free(health); /* after the server, whose handlers used it */
  return 0;
}
