/*
 * tests/integration/io_threads_test.c: a test_server with several I/O
 * threads: connections dealt to every thread in turn, calls on all of them
 * at once, max_calls counted across threads, and shutdown waiting for
 * handlers whose calls were opened on one thread and freed on another.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "testsvc.crpc.h"

#define IO_THREADS 3
#define CHANNELS (2 * IO_THREADS)

static test_proc server;
static crpc_channel *channels[CHANNELS];

static void start_server(const char *flag1, const char *flag2) {
  char path[512], target[64];
  snprintf(path, sizeof(path), "%s/tests/integration/test_server",
           test_builddir());
  char *argv[] = {path, (char *)flag1, (char *)flag2, NULL};
  cr_assert(test_proc_start(&server, argv), "test_server did not start");
  snprintf(target, sizeof(target), "127.0.0.1:%d", server.port);
  for (int i = 0; i < CHANNELS; i++)
    cr_assert_eq(crpc_channel_new(&channels[i], target, NULL), CRPC_OK);
}

static void teardown(void) {
  for (int i = 0; i < CHANNELS; i++) {
    crpc_channel_free(channels[i]);
    channels[i] = NULL;
  }
  if (server.pid > 0)
    test_proc_stop(&server, SIGINT);
}

TestSuite(io_threads, .fini = teardown, .timeout = 40);

/* Run on channel |i|, the handler sleeping |sleep_ms|; sleeping calls are
 * counted under the key "sleeping" (see sleeping_calls()). */
static crpc_code run_on(int i, int sleep_ms, crpc_status *st) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  ask.sleep_ms = sleep_ms;
  if (sleep_ms > 0)
    ask.key = (char *)"sleeping";
  crpc_code code =
      crpctest__test__run__call(channels[i], &ask, &answer, NULL, st);
  crpctest__answer__free_unpacked(answer, NULL);
  return code;
}

/* One call on each of the first |count| channels in turn, so that their
 * connections reach the server in channel order. */
static void connect_in_order(int count) {
  crpc_status st;
  for (int i = 0; i < count; i++)
    cr_assert_eq(run_on(i, 0, &st), CRPC_OK, "channel %d: %s", i, st.message);
}

/* Stats: sleeping calls that started, client connections and threads that
 * ran Run. */
static void stats(int *sleeping, int *connections, int *threads) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  char text[48] = {0};
  int c, f;
  ask.message = (char *)"sleeping";
  cr_assert_eq(
      crpctest__test__stats__call(channels[0], &ask, &answer, NULL, NULL),
      CRPC_OK);
  memcpy(text, answer->payload.data,
         answer->payload.len < sizeof(text) ? answer->payload.len : 47);
  crpctest__answer__free_unpacked(answer, NULL);
  cr_assert_eq(
      sscanf(text, "%d %d %d %d %d", &c, &f, sleeping, connections, threads), 5,
      "%s", text);
}

/* Calls on one channel from a thread of their own. */
typedef struct caller {
  pthread_t thread;
  int channel;
  int sleep_ms;
  int calls;
  int ok;
  crpc_code last;
} caller;

static void *call_in_turn(void *arg) {
  caller *c = arg;
  crpc_status st;
  for (int i = 0; i < c->calls; i++) {
    c->last = run_on(c->channel, c->sleep_ms, &st);
    c->ok += c->last == CRPC_OK;
  }
  return NULL;
}

static void start_callers(caller *callers, int count, int sleep_ms, int calls) {
  for (int i = 0; i < count; i++) {
    callers[i] = (caller){.channel = i, .sleep_ms = sleep_ms, .calls = calls};
    cr_assert_eq(
        pthread_create(&callers[i].thread, NULL, call_in_turn, &callers[i]), 0);
  }
}

/* Waits (up to 10 s) until |count| sleeping calls reached their handler. */
static void wait_sleeping(int count) {
  int sleeping = 0, connections, threads;
  for (int i = 0; i < 1000 && sleeping < count; i++) {
    usleep(10 * 1000);
    stats(&sleeping, &connections, &threads);
  }
  cr_assert_eq(sleeping, count);
}

static void join_callers(caller *callers, int count) {
  for (int i = 0; i < count; i++)
    pthread_join(callers[i].thread, NULL);
}

Test(io_threads, connections_are_dealt_to_every_thread_in_turn) {
  int sleeping, connections, threads;
  start_server("--inline", "--io_threads=3");
  /* Inline unary handlers run on the connection's I/O thread. */
  connect_in_order(IO_THREADS);
  stats(&sleeping, &connections, &threads);
  cr_assert_eq(connections, IO_THREADS);
  cr_assert_eq(threads, IO_THREADS, "%d connections on %d threads", connections,
               threads);
  connect_in_order(CHANNELS);
  stats(&sleeping, &connections, &threads);
  cr_assert_eq(connections, CHANNELS);
  cr_assert_eq(threads, IO_THREADS);
}

Test(io_threads, every_thread_serves_calls_at_once) {
  caller callers[CHANNELS];
  start_server("--inline", "--io_threads=3");
  start_callers(callers, CHANNELS, 0, 200);
  join_callers(callers, CHANNELS);
  for (int i = 0; i < CHANNELS; i++)
    cr_assert_eq(callers[i].ok, 200, "channel %d: %d of 200 ok, last %d", i,
                 callers[i].ok, callers[i].last);
}

Test(io_threads, max_calls_counts_calls_of_every_thread) {
  caller callers[2];
  crpc_status st;
  crpc_code code = CRPC_OK;
  start_server("--max_calls=2", "--io_threads=3");
  connect_in_order(IO_THREADS);
  /* Two sleeping calls on two threads fill the limit for the third. */
  start_callers(callers, 2, 2000, 1);
  for (int i = 0; i < 1000 && code == CRPC_OK; i++) {
    usleep(10 * 1000);
    code = run_on(2, 0, &st);
  }
  cr_assert_eq(code, CRPC_RESOURCE_EXHAUSTED, "%s", st.message);
  join_callers(callers, 2);
  cr_assert_eq(callers[0].ok + callers[1].ok, 2);
  /* Both were counted out again, on whichever thread freed them. */
  for (int i = 0; i < IO_THREADS; i++)
    cr_assert_eq(run_on(i, 0, &st), CRPC_OK, "%s", st.message);
}

/* Handler-thread calls in flight on every I/O thread, then |sig|. */
static int signal_with_calls_in_flight(caller *callers, int sleep_ms, int sig) {
  connect_in_order(CHANNELS);
  start_callers(callers, CHANNELS, sleep_ms, 1);
  wait_sleeping(CHANNELS);
  kill(server.pid, sig);
  join_callers(callers, CHANNELS);
  return test_proc_stop(&server, 0);
}

Test(io_threads, graceful_shutdown_finishes_calls_on_every_thread) {
  caller callers[CHANNELS];
  start_server("--io_threads=3", NULL);
  int status = signal_with_calls_in_flight(callers, 1000, SIGTERM);
  for (int i = 0; i < CHANNELS; i++)
    cr_assert_eq(callers[i].ok, 1, "channel %d: %d", i, callers[i].last);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(io_threads, immediate_shutdown_waits_for_cancelled_handlers) {
  caller callers[CHANNELS];
  start_server("--io_threads=3", NULL);
  /* Handlers notice the cancellation and return long before 20 s; a
   * shutdown that missed their return would hang past the timeout. */
  int status = signal_with_calls_in_flight(callers, 20000, SIGINT);
  for (int i = 0; i < CHANNELS; i++)
    cr_assert_eq(callers[i].last, CRPC_UNAVAILABLE, "channel %d: %d", i,
                 callers[i].last);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
