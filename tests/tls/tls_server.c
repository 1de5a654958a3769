/*
 * tests/tls/tls_server.c: the crpctest.Test service over TLS, for tls_test.
 *
 *   tls_server --cert=PEM --key=PEM [--ca=PEM] [--require_client_cert]
 *              [--handshake_timeout_ms=N] [--plaintext] [--log=PATH]
 *
 * Run echoes the payload, except that a message "whoami" gets the verified
 * client identity back as text: "subject|san|san..." or "none". Prints
 * "listening on port N"; SIGHUP reloads the certificate files (logging
 * "reloaded" or why not); SIGTERM or SIGINT stops. --log sends stderr,
 * where crpc logs, to PATH.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testsvc.crpc.h"

static crpc_code run(crpc_server_call *call, const Crpctest__Ask *ask,
                     Crpctest__Answer *answer, void *user_data) {
  if (ask->message == NULL || strcmp(ask->message, "whoami") != 0) {
    answer->payload = ask->payload;
    return CRPC_OK;
  }
  const crpc_peer_identity *id = crpc_server_call_peer_identity(call);
  char text[1024] = "none";
  if (id != NULL) {
    size_t len = (size_t)snprintf(text, sizeof(text), "%s", id->subject);
    for (size_t i = 0; i < id->san_count && len < sizeof(text); i++)
      len +=
          (size_t)snprintf(text + len, sizeof(text) - len, "|%s", id->sans[i]);
  }
  char *copy = crpc_server_call_strdup(call, text);
  if (copy == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  answer->payload.data = (uint8_t *)copy;
  answer->payload.len = strlen(copy);
  return CRPC_OK;
}

static crpc_code stats(crpc_server_call *call, const Crpctest__Ask *ask,
                       Crpctest__Answer *answer, void *user_data) {
  return CRPC_OK;
}

int main(int argc, char **argv) {
  const char *cert = NULL, *key = NULL, *ca = NULL, *log = NULL;
  bool require = false, plaintext = false;
  long timeout_ms = -1;
  crpc_tls_opts *tls = NULL;
  crpc_server_credentials *creds = NULL;
  crpc_server_opts *opts = NULL;
  crpc_server *server = NULL;
  crpc_status why = {0};
  int port = 0;

  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--cert=", 7) == 0)
      cert = argv[i] + 7;
    else if (strncmp(argv[i], "--key=", 6) == 0)
      key = argv[i] + 6;
    else if (strncmp(argv[i], "--ca=", 5) == 0)
      ca = argv[i] + 5;
    else if (strncmp(argv[i], "--log=", 6) == 0)
      log = argv[i] + 6;
    else if (strcmp(argv[i], "--require_client_cert") == 0)
      require = true;
    else if (strcmp(argv[i], "--plaintext") == 0)
      plaintext = true;
    else if (strncmp(argv[i], "--handshake_timeout_ms=", 23) == 0)
      timeout_ms = strtol(argv[i] + 23, NULL, 10);
    else {
      fprintf(stderr, "tls_server: bad argument %s\n", argv[i]);
      return 2;
    }
  }
  if (log != NULL && freopen(log, "a", stderr) == NULL)
    return 1;
  setvbuf(stderr, NULL, _IOLBF, 0);

  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  if (crpc_server_opts_new(&opts) != CRPC_OK)
    return 1;
  if (!plaintext) {
    if (crpc_tls_opts_new(&tls) != CRPC_OK ||
        crpc_tls_opts_set_cert_files(tls, cert, key) != CRPC_OK ||
        (ca != NULL && crpc_tls_opts_set_ca_file(tls, ca) != CRPC_OK))
      return 1;
    crpc_tls_opts_set_require_client_cert(tls, require);
    if (timeout_ms >= 0)
      crpc_tls_opts_set_handshake_timeout_ms(tls, timeout_ms);
    if (crpc_server_credentials_new_tls(&creds, tls, &why) != CRPC_OK) {
      fprintf(stderr, "tls_server: %s\n", why.message);
      return 1;
    }
    crpc_tls_opts_free(tls);
    crpc_server_opts_set_credentials(opts, creds);
  }
  static const Crpctest__Test_Handlers handlers = {.run = run, .stats = stats};
  if (crpc_server_new(&server, opts) != CRPC_OK ||
      crpctest__test__register_handlers(server, &handlers, NULL) != CRPC_OK ||
      crpc_server_listen(server, "127.0.0.1:0", &port) != CRPC_OK ||
      crpc_server_start(server) != CRPC_OK) {
    fprintf(stderr, "tls_server: cannot serve\n");
    return 1;
  }
  crpc_server_opts_free(opts);
  printf("listening on port %d\n", port);
  fflush(stdout);

  for (;;) {
    int sig;
    sigwait(&sigs, &sig);
    if (sig != SIGHUP)
      break;
    if (crpc_server_credentials_reload(creds, NULL, &why) == CRPC_OK)
      fprintf(stderr, "tls_server: reloaded\n");
    else
      fprintf(stderr, "tls_server: reload failed: %s\n", why.message);
  }
  crpc_server_shutdown(server, 0);
  crpc_server_free(server);
  crpc_server_credentials_free(creds);
  return 0;
}
