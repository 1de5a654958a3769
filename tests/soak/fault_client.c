/*
 * tests/soak/fault_client.c: the fault tests' load as a program, for
 * tests/soak/run to drive across network namespaces.
 *
 *   fault_client --target=TARGET [--lb=POLICY] [--service_config=JSON]
 *                [--threads=N] [--seconds=S] [--timeout_ms=MS]
 *                [--sleep_ms=MS] [--payload=BYTES]
 *                [--keepalive=TIME_MS,TIMEOUT_MS]
 *
 * N threads (default 8) make crpctest.Test/Run calls with a deadline for S
 * seconds (default 10), over a channel with connection backoff 0.1-1 s and
 * keepalive pings if asked (how a cut link is noticed). Each SIGUSR1 moves
 * later calls into the next phase (a fault began, a link came back...). Prints
 * how calls ended per phase (load.h) and exits 0 if every call ended OK,
 * UNAVAILABLE or DEADLINE_EXCEEDED and none outlived its deadline, 1 otherwise.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"

static const char *flag(const char *arg, const char *name) {
  size_t n = strlen(name);
  return strncmp(arg, name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

int main(int argc, char **argv) {
  const char *target = NULL, *lb = "round_robin", *config = NULL, *v;
  soak_load_opts o = {.threads = 8, .timeout_ms = 2000, .max_calls = 1000000};
  int seconds = 10;
  long long keepalive_time = -1, keepalive_timeout = 0;
  crpc_channel_opts *copts;
  crpc_status why;

  for (int i = 1; i < argc; i++) {
    if ((v = flag(argv[i], "--target")) != NULL)
      target = v;
    else if ((v = flag(argv[i], "--lb")) != NULL)
      lb = v;
    else if ((v = flag(argv[i], "--service_config")) != NULL)
      config = v;
    else if ((v = flag(argv[i], "--threads")) != NULL)
      o.threads = atoi(v);
    else if ((v = flag(argv[i], "--seconds")) != NULL)
      seconds = atoi(v);
    else if ((v = flag(argv[i], "--timeout_ms")) != NULL)
      o.timeout_ms = atoll(v);
    else if ((v = flag(argv[i], "--sleep_ms")) != NULL)
      o.handler_sleep_ms = atoi(v);
    else if ((v = flag(argv[i], "--payload")) != NULL)
      o.payload_len = strtoul(v, NULL, 10);
    else if ((v = flag(argv[i], "--keepalive")) != NULL &&
             sscanf(v, "%lld,%lld", &keepalive_time, &keepalive_timeout) == 2)
      continue;
    else {
      fprintf(stderr, "fault_client: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (target == NULL || o.threads < 1 || seconds < 1) {
    fprintf(stderr, "usage: fault_client --target=TARGET [flags]\n");
    return 2;
  }
  /* Block SIGUSR1 before any thread starts, so only sigtimedwait sees it. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  if (crpc_channel_opts_new(&copts) != CRPC_OK ||
      crpc_channel_opts_set_lb_policy(copts, lb) != CRPC_OK)
    return 2;
  crpc_channel_opts_set_connect_backoff(copts, 100, 1000);
  crpc_channel_opts_set_min_resolution_interval_ms(copts, 500);
  if (keepalive_time > 0)
    crpc_channel_opts_set_keepalive(copts, keepalive_time, keepalive_timeout,
                                    false);
  if (config != NULL &&
      crpc_channel_opts_set_service_config(copts, config, &why) != CRPC_OK) {
    fprintf(stderr, "fault_client: %s\n", why.message);
    return 2;
  }
  if (crpc_channel_new(&o.channel, target, copts) != CRPC_OK) {
    fprintf(stderr, "fault_client: bad target %s\n", target);
    return 2;
  }
  crpc_channel_opts_free(copts);

  soak_load *load;
  if (soak_load_start(&load, &o) != CRPC_OK)
    return 2;
  printf("fault_client: %d threads on %s for %d s\n", o.threads, target,
         seconds);
  fflush(stdout);
  int64_t end = crpc_now_ms() + seconds * 1000LL, now;
  int phase = 0;
  while ((now = crpc_now_ms()) < end) {
    int64_t left = end - now;
    struct timespec wait = {left / 1000, (left % 1000) * 1000000};
    if (sigtimedwait(&sigs, NULL, &wait) == SIGUSR1 &&
        phase + 1 < SOAK_PHASES) {
      soak_load_set_phase(load, ++phase);
      printf("phase %d at %lld ms\n", phase,
             (long long)(seconds * 1000LL - (end - crpc_now_ms())));
      fflush(stdout);
    }
  }
  soak_load_result r;
  soak_load_stop(load, &r);
  soak_load_print(&r, stdout);
  crpc_channel_free(o.channel);

  long clean = soak_load_count(&r, -1, -1, CRPC_OK) +
               soak_load_count(&r, -1, -1, CRPC_UNAVAILABLE) +
               soak_load_count(&r, -1, -1, CRPC_DEADLINE_EXCEEDED);
  return clean == r.total && r.late == 0 ? 0 : 1;
}
