/*
 * examples/hello/client.c: calls hello.Greeter/SayHello once, the client of
 * doc/getting-started.md.
 *
 *   hello_client [--target 127.0.0.1:50051] [--name world]
 *
 * Prints the greeting and exits 0, or prints "error: <message> (<CODE>)" on
 * stderr and exits 1.
 */
#include <getopt.h>
#include <stdio.h>

#include <crpc/crpc.h>

#include "hello.crpc.h"
#include "hello.pb-c.h"

/* Give up on a server that does not answer within this time. */
#define CALL_TIMEOUT_MS 5000

static void usage(FILE *out) {
  fprintf(out, "usage: hello_client [--target HOST:PORT] [--name NAME]\n"
               "  --target HOST:PORT  server to call (default "
               "127.0.0.1:50051)\n"
               "  --name NAME         who to greet (default world)\n");
}

int main(int argc, char **argv) {
  static const struct option long_options[] = {
      {"target", required_argument, NULL, 't'},
      {"name", required_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'H'},
      {NULL, 0, NULL, 0}};
  static char default_name[] = "world";
  const char *target = "127.0.0.1:50051";
  Hello__HelloRequest request = HELLO__HELLO_REQUEST__INIT;
  Hello__HelloReply *reply;
  crpc_channel *channel = NULL;
  crpc_call_opts *opts = NULL;
  crpc_status status;
  crpc_code code;
  int opt, exit_code = 1;

  request.name = default_name;
  while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
    switch (opt) {
    case 't':
      target = optarg;
      break;
    case 'n':
      request.name = optarg;
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

  /* Connecting is lazy: a bad target fails here, an unreachable one below. */
  code = crpc_channel_new(&channel, target, NULL);
  if (code != CRPC_OK) {
    fprintf(stderr, "error: cannot use target '%s' (%s)\n", target,
            crpc_code_name(code));
    goto done;
  }
  code = crpc_call_opts_new(&opts);
  if (code != CRPC_OK) {
    fprintf(stderr, "error: out of memory (%s)\n", crpc_code_name(code));
    goto done;
  }
  crpc_call_opts_set_timeout_ms(opts, CALL_TIMEOUT_MS);

  /* Blocks until the reply, a failure or the deadline. */
  code =
      hello__greeter__say_hello__call(channel, &request, &reply, opts, &status);
  if (code != CRPC_OK) {
    fprintf(stderr, "error: %s (%s)\n", status.message, crpc_code_name(code));
    goto done;
  }
  printf("%s\n", reply->message);
  hello__hello_reply__free_unpacked(reply, NULL);
  exit_code = 0;

done:
  crpc_call_opts_free(opts);
  crpc_channel_free(channel);
  return exit_code;
}
