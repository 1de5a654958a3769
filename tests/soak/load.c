/*
 * tests/soak/load.c: threads of synchronous calls for the fault tests.
 */
#include "load.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testsvc.crpc.h"

/* A call this much past its deadline is one that hung. */
#define LATE_MS 1000

struct worker {
  soak_load *load;
  pthread_t thread;
  soak_load_result result; /* no lock: each thread counts its own */
};

struct soak_load {
  soak_load_opts opts;
  atomic_int phase;
  atomic_bool is_stopping;
  struct worker *workers;
  int started; /* threads running */
};

static void one_call(struct worker *w, uint8_t *payload,
                     const crpc_call_opts *opts) {
  soak_load *load = w->load;
  soak_load_result *r = &w->result;
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  int started = atomic_load(&load->phase);
  int64_t t0 = crpc_now_ms();

  ask.sleep_ms = load->opts.handler_sleep_ms;
  ask.payload.data = payload;
  ask.payload.len = load->opts.payload_len;
  crpc_code code =
      crpctest__test__run__call(load->opts.channel, &ask, &answer, opts, NULL);
  int64_t took = crpc_now_ms() - t0;
  /* A reply that is not the echo is as bad as a failure. */
  if (code == CRPC_OK &&
      (answer == NULL || answer->payload.len != load->opts.payload_len))
    code = CRPC_DATA_LOSS;
  if (answer != NULL)
    crpctest__answer__free_unpacked(answer, NULL);
  r->calls[started][atomic_load(&load->phase)][code]++;
  r->total++;
  if (took > load->opts.timeout_ms + LATE_MS)
    r->late++;
  if (took > r->max_ms)
    r->max_ms = took;
}

static void *run_worker(void *arg) {
  struct worker *w = arg;
  crpc_call_opts *opts = NULL;
  uint8_t *payload = malloc(w->load->opts.payload_len + 1);

  if (payload == NULL || crpc_call_opts_new(&opts) != CRPC_OK) {
    free(payload);
    return NULL;
  }
  for (size_t i = 0; i < w->load->opts.payload_len; i++)
    payload[i] = (uint8_t)i;
  crpc_call_opts_set_timeout_ms(opts, w->load->opts.timeout_ms);
  long index = w - w->load->workers;
  usleep((useconds_t)(index * w->load->opts.spread_ms / w->load->opts.threads *
                      1000));
  for (long n = 0;
       n < w->load->opts.max_calls && !atomic_load(&w->load->is_stopping); n++)
    one_call(w, payload, opts);
  crpc_call_opts_free(opts);
  free(payload);
  return NULL;
}

crpc_code soak_load_start(soak_load **out, const soak_load_opts *opts) {
  soak_load *load = calloc(1, sizeof(*load));
  if (load == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  load->opts = *opts;
  atomic_init(&load->phase, 0);
  atomic_init(&load->is_stopping, false);
  load->workers = calloc((size_t)opts->threads, sizeof(*load->workers));
  if (load->workers == NULL) {
    free(load);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  for (int i = 0; i < opts->threads; i++) {
    load->workers[i].load = load;
    if (pthread_create(&load->workers[i].thread, NULL, run_worker,
                       &load->workers[i]) != 0)
      break;
    load->started++;
  }
  if (load->started < opts->threads) {
    soak_load_result ignored;
    soak_load_stop(load, &ignored);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  *out = load;
  return CRPC_OK;
}

void soak_load_set_phase(soak_load *load, int phase) {
  if (phase >= 0 && phase < SOAK_PHASES)
    atomic_store(&load->phase, phase);
}

void soak_load_stop(soak_load *load, soak_load_result *result) {
  *result = (soak_load_result){0};
  if (load == NULL)
    return;
  atomic_store(&load->is_stopping, true);
  for (int i = 0; i < load->started; i++) {
    const soak_load_result *r = &load->workers[i].result;
    pthread_join(load->workers[i].thread, NULL);
    for (int a = 0; a < SOAK_PHASES; a++)
      for (int b = 0; b < SOAK_PHASES; b++)
        for (int c = 0; c < SOAK_CODES; c++)
          result->calls[a][b][c] += r->calls[a][b][c];
    result->total += r->total;
    result->late += r->late;
    if (r->max_ms > result->max_ms)
      result->max_ms = r->max_ms;
  }
  free(load->workers);
  free(load);
}

long soak_load_count(const soak_load_result *r, int started, int ended,
                     int code) {
  long n = 0;
  for (int a = 0; a < SOAK_PHASES; a++)
    for (int b = 0; b < SOAK_PHASES; b++)
      for (int c = 0; c < SOAK_CODES; c++)
        if ((started < 0 || a == started) && (ended < 0 || b == ended) &&
            (code < 0 || c == code))
          n += r->calls[a][b][c];
  return n;
}

void soak_load_print(const soak_load_result *r, FILE *out) {
  for (int a = 0; a < SOAK_PHASES; a++)
    for (int b = 0; b < SOAK_PHASES; b++) {
      if (soak_load_count(r, a, b, -1) == 0)
        continue;
      fprintf(out, "phase %d->%d:", a, b);
      for (int c = 0; c < SOAK_CODES; c++)
        if (r->calls[a][b][c] != 0)
          fprintf(out, " %s %ld", crpc_code_name((crpc_code)c),
                  r->calls[a][b][c]);
      fputc('\n', out);
    }
  fprintf(out, "calls %ld late %ld max_ms %lld\n", r->total, r->late,
          (long long)r->max_ms);
}
