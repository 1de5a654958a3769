/*
 * tests/unit/server/workers_test.c: the handler thread pool. Tasks that
 * block must each get a thread of their own (up to the cap), also when
 * they are queued faster than an idle thread wakes up.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <time.h>

#include "server/workers.h"

/* Tasks that wait until |expected| of them run at once, or 5 s. */
typedef struct rendezvous {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int expected;
  int running;
  int most_running; /* at once */
  int done;
  int met; /* tasks that saw all |expected| running */
} rendezvous;

static rendezvous rv = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void meet(void *arg) {
  (void)arg;
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  pthread_mutex_lock(&rv.mu);
  if (++rv.running > rv.most_running)
    rv.most_running = rv.running;
  pthread_cond_broadcast(&rv.cv);
  while (rv.most_running < rv.expected &&
         pthread_cond_timedwait(&rv.cv, &rv.mu, &until) == 0)
    ;
  rv.met += rv.most_running >= rv.expected;
  rv.running--;
  rv.done++;
  pthread_cond_broadcast(&rv.cv);
  pthread_mutex_unlock(&rv.mu);
}

/* Waits until |count| tasks are done. */
static void wait_done(int count) {
  pthread_mutex_lock(&rv.mu);
  while (rv.done < count)
    pthread_cond_wait(&rv.cv, &rv.mu);
  pthread_mutex_unlock(&rv.mu);
}

static void start_round(int expected) {
  pthread_mutex_lock(&rv.mu);
  rv.expected = expected;
  rv.running = rv.most_running = rv.done = rv.met = 0;
  pthread_mutex_unlock(&rv.mu);
}

Test(workers, blocked_tasks_queued_at_once_each_get_a_thread) {
  enum { TASKS = 6 };
  crpc_workers *w;
  crpc_task warm, tasks[TASKS];
  cr_assert_eq(crpc_workers_new(&w, 16), CRPC_OK);
  /* One task first, so that one thread is idle when the rest come. */
  start_round(1);
  crpc_task_init(&warm, meet, NULL);
  crpc_workers_run(w, &warm);
  wait_done(1);
  for (int round = 0; round < 20; round++) {
    start_round(TASKS);
    for (int i = 0; i < TASKS; i++) {
      crpc_task_init(&tasks[i], meet, NULL);
      crpc_workers_run(w, &tasks[i]);
    }
    wait_done(TASKS);
    cr_assert_eq(rv.met, TASKS, "round %d: at most %d of %d tasks ran at once",
                 round, rv.most_running, TASKS);
  }
  crpc_workers_free(w);
}

Test(workers, tasks_past_the_cap_wait_their_turn) {
  enum { TASKS = 5 };
  crpc_workers *w;
  crpc_task tasks[TASKS];
  cr_assert_eq(crpc_workers_new(&w, 2), CRPC_OK);
  /* Two threads: the tasks meet in pairs at most, and all of them run. */
  start_round(2);
  for (int i = 0; i < TASKS; i++) {
    crpc_task_init(&tasks[i], meet, NULL);
    crpc_workers_run(w, &tasks[i]);
  }
  wait_done(TASKS);
  cr_assert_eq(rv.most_running, 2);
  crpc_workers_free(w);
}
