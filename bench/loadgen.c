/*
 * bench/loadgen.c: a closed-loop crpc client for the benchmark kit.
 *
 *   crpc_loadgen --target HOST:PORT --conns N --streams M --payload B
 *                --warmup S --duration S [--rpc unary|stream]
 *                [--stream-count K] [--requests N]
 *
 * Unary: N channels (one connection each), M calls in flight on each. A
 * call's completion runs on crpc's client I/O thread, where it checks the
 * echo, records the latency and starts the slot's next call; so the
 * histogram has one writer and needs no lock, and the main thread only
 * sleeps until the end and waits for the slots to drain.
 *
 * Stream: N x M threads, each making server-streaming calls of K replies
 * of B bytes one after another with the blocking API; a call's latency is
 * that of the whole stream.
 *
 * Calls completing inside the measured window count. With --requests N
 * (unary only) it makes exactly N calls with no warm-up and stops, so that
 * bench/callgrind.sh can count instructions and allocations per call.
 * Prints the kit's RESULT line (shared/bench/README.md) and exits 1 if any
 * call failed.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crpc/crpc.h>

#include "echo.crpc.h"
#include "flags.h"
#include "histogram.h"

/* How long outstanding calls may take to finish after the end. */
#define DRAIN_TIMEOUT_S 30
/* Longest run with --requests. */
#define REQUESTS_TIMEOUT_S 600

static const char usage[] =
    "usage: crpc_loadgen --target HOST:PORT [--conns N] [--streams M]\n"
    "         [--payload B] [--warmup S] [--duration S] [--rpc unary|stream]\n"
    "         [--stream-count K] [--requests N]\n"
    "  closed loop: N channels x M calls in flight; prints a RESULT line\n"
    "  ref-cpp/loadgen's spellings work too: --channels N, --outstanding M,\n"
    "  --stream-size B, --threads 1\n";

typedef struct loadgen loadgen;

/* One call in flight, reissued as soon as it completes. */
typedef struct {
  loadgen *lg;
  crpc_channel *channel;
  int64_t start_ns;
} slot;

struct loadgen {
  bench_flags flags;
  int64_t warm_end_ns; /* calls completing from here on count... */
  int64_t end_ns;      /* ...until here, after which slots stop */
  Crpc__Bench__EchoRequest request; /* read-only once calls start */
  uint8_t *payload;

  /* Written only where calls complete: crpc's client I/O thread. */
  bench_histogram hist;
  uint64_t msgs; /* stream replies */

  atomic_llong unissued; /* calls left with --requests */
  atomic_ullong errors;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int active; /* slots not yet stopped, guarded by mu */
  char first_error[320]; /* guarded by mu */
};

static void fail_call(loadgen *lg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail_call(loadgen *lg, const char *fmt, ...) {
  va_list ap;
  atomic_fetch_add(&lg->errors, 1);
  pthread_mutex_lock(&lg->mu);
  if (lg->first_error[0] == '\0') {
    va_start(ap, fmt);
    vsnprintf(lg->first_error, sizeof(lg->first_error), fmt, ap);
    va_end(ap);
  }
  pthread_mutex_unlock(&lg->mu);
}

static void stop_slot(loadgen *lg) {
  pthread_mutex_lock(&lg->mu);
  if (--lg->active == 0)
    pthread_cond_broadcast(&lg->cv);
  pthread_mutex_unlock(&lg->mu);
}

static bool is_echo(const loadgen *lg, const Crpc__Bench__EchoReply *reply) {
  return reply->payload.len == lg->request.payload.len &&
         (reply->payload.len == 0 ||
          memcmp(reply->payload.data, lg->request.payload.data,
                 reply->payload.len) == 0);
}

static crpc_unary_done_cb on_unary_done;

/* False when --requests calls have been started already. */
static bool take_request(loadgen *lg) {
  return lg->flags.requests == 0 || atomic_fetch_sub(&lg->unissued, 1) > 0;
}

static bool start_unary(slot *s) {
  if (!take_request(s->lg))
    return false;
  s->start_ns = bench_now_ns();
  crpc_code code = crpc__bench__echo__unary__call_async(
      s->channel, &s->lg->request, NULL, on_unary_done, s);
  if (code == CRPC_OK)
    return true;
  fail_call(s->lg, "cannot start a call: %s", crpc_code_name(code));
  return false;
}

static void on_unary_done(void *user_data, ProtobufCMessage *msg,
                          const crpc_status *status) {
  slot *s = user_data;
  loadgen *lg = s->lg;
  int64_t now = bench_now_ns();
  Crpc__Bench__EchoReply *reply = (Crpc__Bench__EchoReply *)msg;

  if (status->code != CRPC_OK || reply == NULL) {
    fail_call(lg, "call failed: %s: %s", crpc_code_name(status->code),
              status->message);
    goto stop; /* a failed run; don't spin on a dead server */
  }
  bool ok = is_echo(lg, reply);
  crpc__bench__echo_reply__free_unpacked(reply, NULL);
  if (!ok) {
    fail_call(lg, "reply is not an echo of the request");
    goto stop;
  }
  if (now >= lg->warm_end_ns && now < lg->end_ns)
    bench_histogram_add(&lg->hist, now - s->start_ns);
  if (now < lg->end_ns && start_unary(s))
    return;

stop:
  stop_slot(lg);
}

/* Stream mode: one thread per slot, blocking calls. */

typedef struct {
  loadgen *lg;
  crpc_channel *channel;
  bench_histogram hist;
  uint64_t msgs;
} stream_slot;

static bool stream_once(stream_slot *s) {
  loadgen *lg = s->lg;
  Crpc__Bench__StreamRequest request = CRPC__BENCH__STREAM_REQUEST__INIT;
  Crpc__Bench__EchoReply *reply;
  crpc_call *call = NULL;
  crpc_status status;
  crpc_code code;
  uint64_t count = 0;
  int64_t start = bench_now_ns();

  request.count = (uint32_t)lg->flags.stream_count;
  request.size = (uint32_t)lg->flags.payload;
  code = crpc__bench__echo__stream__start(s->channel, &request, NULL, &call);
  if (code != CRPC_OK) {
    fail_call(lg, "cannot start a stream: %s", crpc_code_name(code));
    return false;
  }
  while ((code = crpc__bench__echo__stream__recv(call, &reply)) == CRPC_OK &&
         reply != NULL) {
    bool ok = reply->payload.len == request.size;
    crpc__bench__echo_reply__free_unpacked(reply, NULL);
    if (!ok) {
      fail_call(lg, "stream reply of the wrong size");
      crpc_call_free(call);
      return false;
    }
    count++;
  }
  code = crpc_call_finish(call, &status);
  crpc_call_free(call);
  if (code != CRPC_OK) {
    fail_call(lg, "stream failed: %s: %s", crpc_code_name(code),
                status.message);
    return false;
  }
  if (count != request.count) {
    fail_call(lg, "stream ended after %llu of %u replies",
              (unsigned long long)count, request.count);
    return false;
  }
  int64_t now = bench_now_ns();
  if (now >= lg->warm_end_ns && now < lg->end_ns) {
    bench_histogram_add(&s->hist, now - start);
    s->msgs += count;
  }
  return true;
}

static void *stream_main(void *arg) {
  stream_slot *s = arg;
  while (bench_now_ns() < s->lg->end_ns && stream_once(s))
    ;
  stop_slot(s->lg);
  return NULL;
}

static void fill_payload(uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    p[i] = (uint8_t)(i * 31 + 7);
}

int main(int argc, char **argv) {
  static loadgen lg; /* the histogram is large: not on the stack */
  lg.flags = (bench_flags){.target = "127.0.0.1:50051",
                           .conns = 1,
                           .streams = 1,
                           .payload = 16,
                           .warmup = 1,
                           .duration = 5,
                           .stream_count = 1000};
  bench_flags_parse(&lg.flags, argc, argv, usage);
  if (lg.flags.requests > 0) {
    if (lg.flags.is_stream) {
      fputs(usage, stderr);
      return 2;
    }
    /* Every call counts; the time limit is only a safety net. */
    lg.flags.warmup = 0;
    lg.flags.duration = REQUESTS_TIMEOUT_S;
  }
  const bench_flags *f = &lg.flags;
  int slot_count = f->conns * f->streams;
  crpc_channel **channels = calloc((size_t)f->conns, sizeof(*channels));
  slot *slots = calloc((size_t)slot_count, sizeof(*slots));
  stream_slot *sslots = calloc((size_t)slot_count, sizeof(*sslots));
  pthread_t *threads = calloc((size_t)slot_count, sizeof(*threads));
  lg.payload = malloc((size_t)f->payload + 1);
  if (channels == NULL || slots == NULL || sslots == NULL ||
      threads == NULL || lg.payload == NULL) {
    fprintf(stderr, "crpc_loadgen: out of memory\n");
    return 1;
  }
  fill_payload(lg.payload, (size_t)f->payload);
  crpc__bench__echo_request__init(&lg.request);
  lg.request.payload.data = lg.payload;
  lg.request.payload.len = (size_t)f->payload;
  bench_histogram_init(&lg.hist);
  atomic_init(&lg.unissued, f->requests);
  atomic_init(&lg.errors, 0);
  pthread_mutex_init(&lg.mu, NULL);
  pthread_cond_init(&lg.cv, NULL);

  for (int i = 0; i < f->conns; i++) {
    if (crpc_channel_new(&channels[i], f->target, NULL) != CRPC_OK) {
      fprintf(stderr, "crpc_loadgen: bad target %s\n", f->target);
      return 2;
    }
  }

  int64_t start = bench_now_ns();
  lg.warm_end_ns = start + (int64_t)(f->warmup * 1e9);
  lg.end_ns = lg.warm_end_ns + (int64_t)(f->duration * 1e9);
  lg.active = slot_count;
  int started = 0;
  for (int i = 0; i < slot_count; i++) {
    crpc_channel *ch = channels[i % f->conns];
    if (f->is_stream) {
      sslots[i] = (stream_slot){.lg = &lg, .channel = ch};
      bench_histogram_init(&sslots[i].hist);
      if (pthread_create(&threads[i], NULL, stream_main, &sslots[i]) != 0) {
        fail_call(&lg, "cannot start a thread");
        stop_slot(&lg);
        continue;
      }
      started++;
    } else {
      slots[i] = (slot){.lg = &lg, .channel = ch};
      if (!start_unary(&slots[i]))
        stop_slot(&lg);
    }
  }

  /* Sleep through warm-up and measurement, then let the slots drain. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t wait_ns = lg.end_ns - bench_now_ns() + DRAIN_TIMEOUT_S * 1000000000ll;
  ts.tv_sec += wait_ns / 1000000000;
  ts.tv_nsec += wait_ns % 1000000000;
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000;
  }
  bool drained = true;
  pthread_mutex_lock(&lg.mu);
  while (lg.active > 0 && drained)
    drained = pthread_cond_timedwait(&lg.cv, &lg.mu, &ts) == 0 ||
              lg.active == 0;
  pthread_mutex_unlock(&lg.mu);
  double secs =
      f->requests > 0 ? (double)(bench_now_ns() - start) / 1e9 : f->duration;
  if (!drained) {
    fprintf(stderr, "crpc_loadgen: %d calls still running %ds after the "
            "end\n", lg.active, DRAIN_TIMEOUT_S);
    atomic_fetch_add(&lg.errors, 1);
  } else {
    for (int i = 0; i < started; i++)
      pthread_join(threads[i], NULL);
    for (int i = 0; i < f->conns; i++)
      crpc_channel_free(channels[i]);
  }

  char extra[200];
  unsigned long long errors = atomic_load(&lg.errors);
  if (f->is_stream) {
    for (int i = 0; i < started; i++) {
      for (int b = 0; b < BENCH_HISTOGRAM_BUCKETS; b++)
        lg.hist.counts[b] += sslots[i].hist.counts[b];
      lg.hist.count += sslots[i].hist.count;
      lg.hist.sum += sslots[i].hist.sum;
      if (sslots[i].hist.max > lg.hist.max)
        lg.hist.max = sslots[i].hist.max;
      lg.msgs += sslots[i].msgs;
    }
    snprintf(extra, sizeof(extra),
             "tool=crpc_loadgen rpc=stream conns=%d streams=%d "
             "stream_count=%d stream_size=%d msgs=%llu msgs_per_s=%.1f",
             f->conns, f->streams, f->stream_count, f->payload,
             (unsigned long long)lg.msgs,
             f->duration > 0 ? (double)lg.msgs / f->duration : 0.0);
  } else {
    snprintf(extra, sizeof(extra),
             "tool=crpc_loadgen rpc=unary conns=%d streams=%d payload=%d",
             f->conns, f->streams, f->payload);
  }
  bench_histogram_print_result(&lg.hist, extra, secs, errors);
  if (errors != 0)
    fprintf(stderr, "crpc_loadgen: %llu failed calls; first: %s\n", errors,
            lg.first_error);
  return errors != 0 ? 1 : 0;
}
