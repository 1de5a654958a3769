/*
 * bench/flags.c: see flags.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flags.h"

int64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void bad(const char *usage, const char *what, const char *arg) {
  fprintf(stderr, "%s: %s\n%s", what, arg, usage);
  exit(2);
}

static long to_int(const char *usage, const char *name, const char *v,
                   long min) {
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno != 0 || *end != '\0' || end == v || n < min || n > 1 << 30)
    bad(usage, "bad value", name);
  return n;
}

static double to_secs(const char *usage, const char *name, const char *v) {
  char *end;
  double d = strtod(v, &end);
  if (*end != '\0' || end == v || d < 0 || d > 86400)
    bad(usage, "bad value", name);
  return d;
}

void bench_flags_parse(bench_flags *f, int argc, char **argv,
                       const char *usage) {
  for (int i = 1; i < argc; i++) {
    char name[64];
    const char *arg = argv[i], *value;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(usage, stdout);
      exit(0);
    }
    if (strncmp(arg, "--", 2) != 0)
      bad(usage, "unexpected argument", arg);
    const char *eq = strchr(arg, '=');
    if (eq != NULL) {
      snprintf(name, sizeof(name), "%.*s", (int)(eq - arg - 2), arg + 2);
      value = eq + 1;
    } else {
      snprintf(name, sizeof(name), "%s", arg + 2);
      if (i + 1 == argc)
        bad(usage, "missing value for", arg);
      value = argv[++i];
    }
    if (strcmp(name, "target") == 0)
      f->target = value;
    else if (strcmp(name, "conns") == 0 || strcmp(name, "channels") == 0)
      f->conns = (int)to_int(usage, arg, value, 1);
    else if (strcmp(name, "streams") == 0 || strcmp(name, "outstanding") == 0)
      f->streams = (int)to_int(usage, arg, value, 1);
    else if (strcmp(name, "threads") == 0) {
      /* Completions run on the library's one client I/O thread. */
      if (to_int(usage, arg, value, 1) != 1)
        bad(usage, "crpc clients run on one I/O thread: --threads 1, not",
            value);
    } else if (strcmp(name, "payload") == 0 ||
               strcmp(name, "stream-size") == 0)
      f->payload = (int)to_int(usage, arg, value, 0);
    else if (strcmp(name, "warmup") == 0)
      f->warmup = to_secs(usage, arg, value);
    else if (strcmp(name, "duration") == 0)
      f->duration = to_secs(usage, arg, value);
    else if (strcmp(name, "requests") == 0)
      f->requests = (int)to_int(usage, arg, value, 0);
    else if (strcmp(name, "stream-count") == 0)
      f->stream_count = (int)to_int(usage, arg, value, 0);
    else if (strcmp(name, "rpc") == 0) {
      if (strcmp(value, "unary") != 0 && strcmp(value, "stream") != 0)
        bad(usage, "--rpc is unary or stream, not", value);
      f->is_stream = strcmp(value, "stream") == 0;
    } else
      bad(usage, "unknown flag", arg);
  }
}
