/*
 * tests/services/services_server.c: serves svctest.Echo (proto/svctest/
 * echo.proto, which imports a well-known type and svctest/types.proto),
 * server reflection and health, for the tests of tests/services/.
 *
 *   services_server --port=N
 *
 * Prints "listening on PORT" once serving; SIGTERM or SIGINT shuts it down
 * (grace 5 s, during which health Watch calls get NOT_SERVING and end) and
 * it exits 0. Written like user code: public API and generated code only.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crpc/crpc.h>

#include "svctest/echo.crpc.h"
#include "svctest/echo.pb-c.h"

static crpc_code say(crpc_server_call *call, const Svctest__SayRequest *req,
                     Svctest__SayReply *reply, void *user_data) {
  size_t len = strlen(req->text) + sizeof("echo: ");
  char *text = crpc_server_call_alloc(call, len);

  (void)user_data;
  if (text == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  snprintf(text, len, "echo: %s", req->text);
  reply->text = text;
  /* The request's sub-messages live until the handler's reply is sent. */
  reply->where = req->where;
  reply->at = req->at;
  reply->color = req->color;
  reply->inner = req->inner;
  return CRPC_OK;
}

static crpc_code count(crpc_server_call *call, const Svctest__CountRequest *req,
                       void *user_data) {
  crpc_code code;
  char text[300];

  (void)user_data;
  for (int i = 1; i <= req->count; i++) {
    Svctest__SayReply reply = SVCTEST__SAY_REPLY__INIT;
    snprintf(text, sizeof(text), "%.200s %d", req->text, i);
    reply.text = text;
    if ((code = svctest__echo__count__write(call, &reply)) != CRPC_OK)
      return code;
  }
  return CRPC_OK;
}

static crpc_code set_health(crpc_server_call *call,
                            const Svctest__SetHealthRequest *req,
                            Svctest__SetHealthReply *reply, void *user_data) {
  crpc_health *health = user_data;
  crpc_code code;

  (void)reply;
  code = crpc_health_set(health, req->service, (crpc_health_status)req->status);
  if (code != CRPC_OK)
    return crpc_server_call_fail(call, code, "crpc_health_set: %s",
                                 crpc_code_name(code));
  return CRPC_OK;
}

int main(int argc, char **argv) {
  static const Svctest__Echo_Handlers handlers = {
      .say = say, .count = count, .set_health = set_health};
  crpc_server *server = NULL;
  crpc_health *health = NULL;
  sigset_t stop_signals;
  char address[64];
  int port = -1, signo;
  crpc_code code;

  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--port=", 7) == 0) {
      port = atoi(argv[i] + 7);
    } else {
      fprintf(stderr, "usage: services_server --port=N\n");
      return 2;
    }
  }
  if (port < 0) {
    fprintf(stderr, "usage: services_server --port=N\n");
    return 2;
  }
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

  snprintf(address, sizeof(address), "127.0.0.1:%d", port);
  if ((code = crpc_server_new(&server, NULL)) != CRPC_OK ||
      (code = crpc_health_register(server, &health)) != CRPC_OK ||
      (code = svctest__echo__register_handlers(server, &handlers, health)) !=
          CRPC_OK ||
      (code = crpc_reflection_register(server)) != CRPC_OK ||
      (code = crpc_health_set(health, "svctest.Echo", CRPC_HEALTH_SERVING)) !=
          CRPC_OK ||
      (code = crpc_server_listen(server, address, &port)) != CRPC_OK ||
      (code = crpc_server_start(server)) != CRPC_OK) {
    fprintf(stderr, "services_server: %s\n", crpc_code_name(code));
    crpc_server_free(server);
    crpc_health_free(health);
    return 1;
  }
  printf("listening on %d\n", port);
  fflush(stdout);

  sigwait(&stop_signals, &signo);
  crpc_server_shutdown(server, 5000);
  crpc_server_free(server);
  crpc_health_free(health);
  printf("stopped\n");
  return 0;
}
