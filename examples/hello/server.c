/*
 * examples/hello/server.c: serves hello.Greeter (hello.proto), the server of
 * doc/getting-started.md.
 *
 *   hello_server [--host 127.0.0.1] [--port 50051] [--no-reflection-health]
 *
 * It also serves server reflection and health checking, so that grpcurl and
 * buf curl can explore it without hello.proto (doc/debugging.md);
 * --no-reflection-health leaves them out.
 *
 * --port 0 picks a free port. Once serving, prints one line,
 * "hello_server: listening on HOST:PORT", which scripts wait for. SIGINT or
 * SIGTERM shuts it down gracefully and it exits 0.
 */
/* sigwait() and pthread_sigmask() are POSIX, outside plain C11. */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crpc/crpc.h>

#include "hello.crpc.h"
#include "hello.pb-c.h"

/* How long calls in flight may take to finish once asked to stop. */
#define SHUTDOWN_GRACE_MS 5000

/*
 * Runs on a server handler thread for every SayHello call. |user_data| is
 * the greeting given to hello__greeter__register_handlers(). The reply's
 * strings must outlive this function, so they come from the call's memory,
 * which crpc frees once the reply is sent.
 */
static crpc_code say_hello(crpc_server_call *call,
                           const Hello__HelloRequest *request,
                           Hello__HelloReply *reply, void *user_data) {
  const char *greeting = user_data;
  size_t len;
  char *message;

  if (request->name == NULL || request->name[0] == '\0')
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "name must not be empty");

  len = strlen(greeting) + strlen(", ") + strlen(request->name) + sizeof("!");
  message = crpc_server_call_alloc(call, len);
  if (message == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  snprintf(message, len, "%s, %s!", greeting, request->name);
  reply->message = message;
  return CRPC_OK;
}

static void usage(FILE *out) {
  fprintf(out, "usage: hello_server [--host HOST] [--port PORT] "
               "[--no-reflection-health]\n"
               "  --host HOST  address to listen on (default 127.0.0.1)\n"
               "  --port PORT  port to listen on, 0 for any free one "
               "(default 50051)\n"
               "  --no-reflection-health  serve neither server reflection "
               "nor grpc.health.v1.Health\n");
}

static int parse_port(const char *s, int *port) {
  char *end;
  long value = strtol(s, &end, 10);

  if (*s == '\0' || *end != '\0' || value < 0 || value > 65535)
    return -1;
  *port = (int)value;
  return 0;
}

int main(int argc, char **argv) {
  static const struct option long_options[] = {
      {"host", required_argument, NULL, 'h'},
      {"port", required_argument, NULL, 'p'},
      {"no-reflection-health", no_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'H'},
      {NULL, 0, NULL, 0}};
  static char greeting[] = "Hello";
  Hello__Greeter_Handlers handlers = {.say_hello = say_hello};
  const char *host = "127.0.0.1";
  int port = 50051;
  crpc_server *server = NULL;
  crpc_health *health = NULL;
  bool with_reflection_health = true;
  char address[300];
  sigset_t stop_signals;
  const char *step;
  crpc_code code;
  int opt, sig;

  while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
    switch (opt) {
    case 'h':
      host = optarg;
      break;
    case 'p':
      if (parse_port(optarg, &port) != 0) {
        fprintf(stderr, "hello_server: bad port '%s'\n", optarg);
        return 2;
      }
      break;
    case 'n':
      with_reflection_health = false;
      break;
    case 'H':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc) {
    usage(stderr);
    return 2;
  }
  /* An IPv6 address needs brackets before its port: "[::1]:50051". */
  snprintf(address, sizeof(address), strchr(host, ':') ? "[%s]:%d" : "%s:%d",
           host, port);

  /*
   * Block SIGINT and SIGTERM before crpc starts its threads, which inherit
   * the mask: the signals then stay pending until sigwait() below takes
   * them, instead of interrupting some thread. A shell starts background
   * jobs with SIGINT ignored, and an ignored signal is dropped even when
   * blocked, so restore the default first.
   */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

  step = "crpc_server_new";
  code = crpc_server_new(&server, NULL);
  if (code != CRPC_OK)
    goto fail;
  step = "hello__greeter__register_handlers";
  code = hello__greeter__register_handlers(server, &handlers, greeting);
  if (code != CRPC_OK)
    goto fail;
  if (with_reflection_health) {
    /* grpcurl and buf curl list and call the service with JSON. */
    step = "crpc_reflection_register";
    code = crpc_reflection_register(server);
    if (code != CRPC_OK)
      goto fail;
    /* Kubernetes probes and load balancers ask grpc.health.v1.Health; ""
     * (the whole server) is SERVING from here, the service too. */
    step = "crpc_health_register";
    code = crpc_health_register(server, &health);
    if (code != CRPC_OK)
      goto fail;
    step = "crpc_health_set";
    code = crpc_health_set(health, "hello.Greeter", CRPC_HEALTH_SERVING);
    if (code != CRPC_OK)
      goto fail;
  }
  step = "crpc_server_listen";
  code = crpc_server_listen(server, address, &port);
  if (code != CRPC_OK)
    goto fail;
  step = "crpc_server_start";
  code = crpc_server_start(server);
  if (code != CRPC_OK)
    goto fail;

  printf("hello_server: listening on %s:%d\n", host, port);
  fflush(stdout);

  if (sigwait(&stop_signals, &sig) != 0)
    sig = SIGTERM;
  printf("hello_server: %s, shutting down\n",
         sig == SIGINT ? "SIGINT" : "SIGTERM");
  fflush(stdout);
  /* Health reports NOT_SERVING from the start of the shutdown. */
  crpc_server_shutdown(server, SHUTDOWN_GRACE_MS);
  crpc_server_free(server);
  crpc_health_free(health); /* after the server, whose handlers used it */
  return 0;

fail:
  fprintf(stderr, "hello_server: %s on %s: %s\n", step, address,
          crpc_code_name(code));
  crpc_server_free(server);
  crpc_health_free(health);
  return 1;
}
