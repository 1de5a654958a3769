/*
 * tests/integration/propagation_test.c: deadlines and cancellation flowing
 * down a chain of three test_server processes (client -> s1 -> s2 -> s3),
 * each hop calling the next with its handler's crpc_server_call_opts().
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "testsvc.crpc.h"

#define HOPS 3

static test_proc servers[HOPS];
static char targets[HOPS][32];
static crpc_channel *channel;

static void setup(void) {
  char path[512];
  snprintf(path, sizeof(path), "%s/tests/integration/test_server",
           test_builddir());
  for (int i = 0; i < HOPS; i++) {
    char *argv[] = {path, NULL};
    cr_assert(test_proc_start(&servers[i], argv), "server %d did not start",
              i);
    snprintf(targets[i], sizeof(targets[i]), "127.0.0.1:%d", servers[i].port);
  }
  cr_assert_eq(crpc_channel_new(&channel, targets[0], NULL), CRPC_OK);
}

static void teardown(void) {
  crpc_channel_free(channel);
  for (int i = 0; i < HOPS; i++)
    if (servers[i].pid > 0)
      test_proc_stop(&servers[i], SIGINT);
}

TestSuite(propagation, .init = setup, .fini = teardown, .timeout = 30);

/* Server |i|'s counters: handlers that saw their cancellation, failed
 * forwards. */
static void stats(int i, int *cancelled, int *forward_failed) {
  crpc_channel *ch;
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  char text[32] = {0};
  cr_assert_eq(crpc_channel_new(&ch, targets[i], NULL), CRPC_OK);
  cr_assert_eq(crpctest__test__stats__call(ch, &ask, &answer, NULL, NULL),
               CRPC_OK);
  memcpy(text, answer->payload.data,
         answer->payload.len < sizeof(text) ? answer->payload.len : 31);
  cr_assert_eq(sscanf(text, "%d %d", cancelled, forward_failed), 2);
  crpctest__answer__free_unpacked(answer, NULL);
  crpc_channel_free(ch);
}

/* Waits up to a second for every hop to have ended its handler. */
static void assert_every_hop_ended(void) {
  int c[HOPS], f[HOPS];
  for (int tries = 0; tries < 50; tries++) {
    for (int i = 0; i < HOPS; i++)
      stats(i, &c[i], &f[i]);
    if (f[0] == 1 && f[1] == 1 && c[2] == 1)
      return;
    usleep(20 * 1000);
  }
  cr_assert_fail("hops did not all end: s1 forward_failed=%d, s2 "
                 "forward_failed=%d, s3 cancelled=%d",
                 f[0], f[1], c[2]);
}

static Crpctest__Ask sleeping_chain(char **forward) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  forward[0] = targets[1];
  forward[1] = targets[2];
  ask.forward_to = forward;
  ask.n_forward_to = 2;
  ask.sleep_ms = 10000; /* the third service sleeps, watching */
  return ask;
}

Test(propagation, deadline_ends_every_hop_promptly) {
  char *forward[2];
  Crpctest__Ask ask = sleeping_chain(forward);
  Crpctest__Answer *answer = NULL;
  crpc_call_opts *opts;
  crpc_status st;
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 300);

  int64_t start = crpc_now_ms();
  cr_assert_eq(crpctest__test__run__call(channel, &ask, &answer, opts, &st),
               CRPC_DEADLINE_EXCEEDED, "%s", st.message);
  int64_t took = crpc_now_ms() - start;
  cr_assert(took >= 295 && took < 1000, "took %lld ms", (long long)took);
  assert_every_hop_ended();
  crpc_call_opts_free(opts);
}

Test(propagation, client_cancel_ends_every_hop) {
  char *forward[2];
  Crpctest__Ask ask = sleeping_chain(forward);
  crpc_call *call;
  crpc_status st;
  /* A unary call through the generic API, so that it can be cancelled. */
  const crpc_method_desc *run = &crpctest__test__crpc_service.methods[0];
  cr_assert_eq(crpc_call_start(channel, run, NULL, &call), CRPC_OK);
  cr_assert_eq(crpc_call_send(call, &ask.base), CRPC_OK);
  cr_assert_eq(crpc_call_close_send(call), CRPC_OK);
  usleep(300 * 1000); /* the chain is established and s3 sleeps */
  crpc_call_cancel(call);
  cr_assert_eq(crpc_call_finish(call, &st), CRPC_CANCELLED);
  crpc_call_free(call);
  assert_every_hop_ended();
}

Test(propagation, a_detached_child_outlives_its_parent) {
  /* s1 forwards with options that propagate nothing: the client's 200 ms
   * deadline ends the client's call, but s2 sleeps its 400 ms to the end and
   * s1's forward succeeds. */
  char *forward[1] = {targets[1]};
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_call_opts *opts;
  ask.forward_to = forward;
  ask.n_forward_to = 1;
  ask.detach = true;
  ask.sleep_ms = 400;
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 200);
  cr_assert_eq(crpctest__test__run__call(channel, &ask, &answer, opts, NULL),
               CRPC_DEADLINE_EXCEEDED);
  usleep(600 * 1000);
  int c1, f1, c2, f2;
  stats(0, &c1, &f1);
  stats(1, &c2, &f2);
  cr_assert_eq(f1, 0, "s1's detached forward must not fail");
  cr_assert_eq(c2, 0, "s2's handler must not be cancelled");
  crpc_call_opts_free(opts);
}
