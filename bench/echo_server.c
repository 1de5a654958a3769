/*
 * bench/echo_server.c: crpc.bench.Echo for the benchmark kit.
 *
 *   crpc_echo_server --port N [--threads N] [--handler-threads N]
 *
 * Listens on 127.0.0.1:N with N I/O threads. Echo handlers never block, so
 * unary handlers run inline on the I/O thread (handler threads 0, see
 * crpc/server.h): no hand-off between threads on the measured path.
 * --handler-threads N > 0 measures the default mode instead. Stream
 * handlers still run on handler threads, since crpc runs only unary
 * handlers inline. Exits 0 on SIGTERM or SIGINT after a short graceful
 * shutdown.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crpc/crpc.h>

#include "echo.crpc.h"

#define MAX_STREAM_SIZE (4 * 1024 * 1024)
#define SHUTDOWN_GRACE_MS 1000

static const char usage[] =
    "usage: crpc_echo_server --port N [--threads N] [--handler-threads N]\n"
    "  serves /crpc.bench.Echo/{Unary,Stream} on 127.0.0.1:N (0 picks a\n"
    "  free port, printed on stdout) with N I/O threads (default 1) and\n"
    "  N handler threads (default 0: unary handlers run inline)\n";

/*
 * The request lives as long as the call (it decodes into the call's
 * arena), and the reply is serialized after we return: point at the
 * request's bytes instead of copying them.
 */
static crpc_code unary(crpc_server_call *call,
                       const Crpc__Bench__EchoRequest *request,
                       Crpc__Bench__EchoReply *reply, void *user_data) {
  reply->payload = request->payload;
  return CRPC_OK;
}

/* echo.proto: |count| replies of |size| payload bytes each. */
static crpc_code stream(crpc_server_call *call,
                        const Crpc__Bench__StreamRequest *request,
                        void *user_data) {
  Crpc__Bench__EchoReply reply = CRPC__BENCH__ECHO_REPLY__INIT;
  if (request->size > MAX_STREAM_SIZE)
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "size %u is over %d", request->size,
                                 MAX_STREAM_SIZE);
  reply.payload.len = request->size;
  reply.payload.data = crpc_server_call_alloc(call, request->size + 1);
  if (reply.payload.data == NULL)
    return crpc_server_call_fail(call, CRPC_RESOURCE_EXHAUSTED,
                                 "out of memory");
  memset(reply.payload.data, 'x', request->size);
  for (uint32_t i = 0; i < request->count; i++) {
    crpc_code code = crpc__bench__echo__stream__write(call, &reply);
    if (code != CRPC_OK)
      return code;
  }
  return CRPC_OK;
}

static int parse_int(const char *flag, const char *value, int min, int max) {
  char *end;
  errno = 0;
  long n = value != NULL ? strtol(value, &end, 10) : 0;
  if (value == NULL || errno != 0 || *end != '\0' || end == value ||
      n < min || n > max) {
    fprintf(stderr, "bad value for %s\n%s", flag, usage);
    exit(2);
  }
  return (int)n;
}

int main(int argc, char **argv) {
  int port = -1, threads = 1, handler_threads = 0, signo = 0;
  crpc_server_opts *opts = NULL;
  crpc_server *server = NULL;
  sigset_t stop_signals;
  char address[64];
  static const Crpc__Bench__Echo_Handlers handlers = {
      .unary = unary,
      .stream = stream,
  };

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--port") == 0)
      port = parse_int(argv[i], argv[i + 1], 0, 65535), i++;
    else if (strcmp(argv[i], "--threads") == 0)
      threads = parse_int(argv[i], argv[i + 1], 1, 256), i++;
    else if (strcmp(argv[i], "--handler-threads") == 0)
      handler_threads = parse_int(argv[i], argv[i + 1], 0, 256), i++;
    else {
      fputs(usage, strcmp(argv[i], "--help") == 0 ? stdout : stderr);
      return strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  if (port < 0) {
    fputs(usage, stderr);
    return 2;
  }

  /* Blocked before any thread starts, so crpc's threads inherit the mask
   * and sigwait() below is the only taker. */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

  snprintf(address, sizeof(address), "127.0.0.1:%d", port);
  if (crpc_server_opts_new(&opts) != CRPC_OK)
    goto fail;
  crpc_server_opts_set_io_threads(opts, threads);
  crpc_server_opts_set_handler_threads(opts, handler_threads);
  if (crpc_server_new(&server, opts) != CRPC_OK ||
      crpc__bench__echo__register_handlers(server, &handlers, NULL) !=
          CRPC_OK ||
      crpc_server_listen(server, address, &port) != CRPC_OK ||
      crpc_server_start(server) != CRPC_OK)
    goto fail;
  crpc_server_opts_free(opts);
  printf("crpc_echo_server: listening on 127.0.0.1:%d, %d I/O thread%s\n",
         port, threads, threads == 1 ? "" : "s");
  fflush(stdout);

  while (sigwait(&stop_signals, &signo) != 0)
    ;
  fprintf(stderr, "crpc_echo_server: signal %d, shutting down\n", signo);
  crpc_server_shutdown(server, SHUTDOWN_GRACE_MS);
  crpc_server_free(server);
  return 0;

fail:
  fprintf(stderr, "crpc_echo_server: cannot serve on %s\n", address);
  crpc_server_free(server);
  crpc_server_opts_free(opts);
  return 1;
}
