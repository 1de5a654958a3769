/*
 * bench/pingpong.c: one channel, one synchronous unary call at a time.
 *
 *   crpc_pingpong --target HOST:PORT [--payload B] [--warmup S]
 *                 [--duration S] [--requests N]
 *
 * The classic gRPC ping-pong latency test, like the kit's ref-cpp/pingpong:
 * every call pays the full round trip through the blocking stub (the
 * calling thread hands the call to crpc's I/O thread and sleeps until the
 * reply). Prints the kit's RESULT line; exits 1 if any call failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crpc/crpc.h>

#include "echo.crpc.h"
#include "flags.h"
#include "histogram.h"

/* Longest run with --requests. */
#define REQUESTS_TIMEOUT_S 600

static const char usage[] =
    "usage: crpc_pingpong --target HOST:PORT [--payload B] [--warmup S]\n"
    "         [--duration S] [--requests N]\n"
    "  (--conns/--streams must be 1 if given; --requests N: exactly N calls,\n"
    "  no warm-up)\n";

int main(int argc, char **argv) {
  static bench_histogram hist;
  bench_flags f = {.target = "127.0.0.1:50051",
                   .conns = 1,
                   .streams = 1,
                   .payload = 16,
                   .warmup = 1,
                   .duration = 5};
  Crpc__Bench__EchoRequest request = CRPC__BENCH__ECHO_REQUEST__INIT;
  crpc_channel *channel;
  unsigned long long errors = 0;
  crpc_status first = {CRPC_OK, ""};

  bench_flags_parse(&f, argc, argv, usage);
  if (f.conns != 1 || f.streams != 1 || f.is_stream) {
    fputs(usage, stderr);
    return 2;
  }
  uint8_t *payload = malloc((size_t)f.payload + 1);
  if (payload == NULL)
    return 1;
  for (int i = 0; i < f.payload; i++)
    payload[i] = (uint8_t)(i * 31 + 7);
  request.payload.data = payload;
  request.payload.len = (size_t)f.payload;
  bench_histogram_init(&hist);
  if (crpc_channel_new(&channel, f.target, NULL) != CRPC_OK) {
    fprintf(stderr, "crpc_pingpong: bad target %s\n", f.target);
    return 2;
  }

  if (f.requests > 0) {
    f.warmup = 0;
    f.duration = REQUESTS_TIMEOUT_S; /* a safety net */
  }
  int64_t begin = bench_now_ns();
  int64_t warm_end = begin + (int64_t)(f.warmup * 1e9);
  int64_t end = warm_end + (int64_t)(f.duration * 1e9);
  int calls = 0;
  for (int64_t now = begin;
       now < end && (f.requests == 0 || calls < f.requests); calls++) {
    Crpc__Bench__EchoReply *reply;
    crpc_status status;
    int64_t start = now;
    if (crpc__bench__echo__unary__call(channel, &request, &reply, NULL,
                                       &status) != CRPC_OK) {
      if (errors++ == 0)
        first = status;
      break; /* a failed run; don't spin on a dead server */
    }
    bool ok = reply->payload.len == request.payload.len &&
              (reply->payload.len == 0 ||
               memcmp(reply->payload.data, payload, reply->payload.len) == 0);
    crpc__bench__echo_reply__free_unpacked(reply, NULL);
    if (!ok) {
      if (errors++ == 0)
        crpc_status_set(&first, CRPC_INTERNAL, "reply is not an echo");
      break;
    }
    now = bench_now_ns();
    if (now >= warm_end && now < end)
      bench_histogram_add(&hist, now - start);
  }
  crpc_channel_free(channel);
  double secs =
      f.requests > 0 ? (double)(bench_now_ns() - begin) / 1e9 : f.duration;

  char extra[100];
  snprintf(extra, sizeof(extra), "tool=crpc_pingpong payload=%d", f.payload);
  bench_histogram_print_result(&hist, extra, secs, errors);
  if (errors != 0)
    fprintf(stderr, "crpc_pingpong: call failed: %s: %s\n",
            crpc_code_name(first.code), first.message);
  free(payload);
  return errors != 0 ? 1 : 0;
}
