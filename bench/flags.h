/*
 * bench/flags.h: the command line shared by crpc_loadgen and
 * crpc_pingpong, spelled as the kit's --client placeholders expect
 * (shared/bench/README.md, "Adding the project's own client") and, as
 * aliases, as the kit's ref-cpp/loadgen spells it: --channels for
 * --conns, --outstanding for --streams, --stream-size for the payload of
 * streamed replies, --threads 1.
 */
#ifndef BENCH_FLAGS_H
#define BENCH_FLAGS_H

#include <stdbool.h>

typedef struct {
  const char *target;  /* --target HOST:PORT */
  int conns;           /* --conns: channels, one connection each */
  int streams;         /* --streams: calls outstanding per channel */
  int payload;         /* --payload: bytes per request (stream: per reply) */
  double warmup;       /* --warmup seconds, not counted */
  double duration;     /* --duration seconds, counted */
  bool is_stream;      /* --rpc unary|stream */
  int stream_count;    /* --stream-count: replies per streaming call */
  int requests;        /* --requests N: exactly N calls, no warm-up, then
                          stop (0: run by time); for bench/callgrind.sh */
} bench_flags;

/*
 * Parses argv ("--name value" or "--name=value") into |f|, which holds the
 * defaults on entry. Prints |usage| and exits 2 on an unknown or malformed
 * flag, 0 on --help.
 */
void bench_flags_parse(bench_flags *f, int argc, char **argv,
                       const char *usage);

/* Nanoseconds on the monotonic clock. */
int64_t bench_now_ns(void);

#endif /* BENCH_FLAGS_H */
