/*
 * tests/unit/transport/loop_test.c: posted and before-wait tasks on a real
 * loop thread. A task the loop posts to itself sends no wake-up, so these
 * check that none is ever lost: each waits at most 5 s for its tasks.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <time.h>

#include "transport/loop.h"

static crpc_loop *loop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ran[16]; /* order in which tasks ran: their indices */
static int ran_count;
static bool ran_on_loop = true;

static void setup(void) {
  ran_count = 0;
  ran_on_loop = true;
  cr_assert_eq(crpc_loop_new(&loop), CRPC_OK);
}

static void teardown(void) { crpc_loop_free(loop); }

TestSuite(loop, .init = setup, .fini = teardown, .timeout = 20);

static void record(int index) {
  pthread_mutex_lock(&mu);
  ran_on_loop = ran_on_loop && crpc_loop_is_current(loop);
  ran[ran_count++] = index;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

/* Waits up to 5 s for |count| tasks; returns how many ran. */
static int wait_ran(int count) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  pthread_mutex_lock(&mu);
  while (ran_count < count &&
         pthread_cond_timedwait(&cv, &mu, &until) == 0)
    ;
  int n = ran_count;
  pthread_mutex_unlock(&mu);
  return n;
}

static crpc_task tasks[8];
static bool is_queued;

static void plain(void *arg) { record((int)(intptr_t)arg); }

Test(loop, runs_tasks_posted_from_another_thread_in_order) {
  for (int i = 0; i < 5; i++) {
    crpc_task_init(&tasks[i], plain, (void *)(intptr_t)i);
    crpc_loop_post(loop, &tasks[i]);
  }
  cr_assert_eq(wait_ran(5), 5);
  for (int i = 0; i < 5; i++)
    cr_assert_eq(ran[i], i);
  cr_assert(ran_on_loop);
}

/* Task 0 posts task 1 from the loop thread: nothing else wakes the loop. */
static void post_next(void *arg) {
  record(0);
  crpc_task_init(&tasks[1], plain, (void *)(intptr_t)1);
  crpc_loop_post(loop, &tasks[1]);
}

Test(loop, runs_a_task_the_loop_posts_to_itself) {
  crpc_task_init(&tasks[0], post_next, NULL);
  crpc_loop_post(loop, &tasks[0]);
  cr_assert_eq(wait_ran(2), 2);
  cr_assert_eq(ran[1], 1);
}

/* A before-wait task posts a task, which queues another before-wait one:
 * all before the loop waits, whatever the mix. */
static void last_before_wait(void *arg) { record(3); }

static void posted_by_before_wait(void *arg) {
  record(2);
  is_queued = false;
  crpc_task_init(&tasks[3], last_before_wait, NULL);
  crpc_loop_before_wait(loop, &tasks[3], &is_queued);
}

static void before_wait(void *arg) {
  record(1);
  crpc_task_init(&tasks[2], posted_by_before_wait, NULL);
  crpc_loop_post(loop, &tasks[2]);
}

static void start_chain(void *arg) {
  record(0);
  is_queued = false;
  crpc_task_init(&tasks[1], before_wait, NULL);
  crpc_loop_before_wait(loop, &tasks[1], &is_queued);
}

Test(loop, drains_tasks_that_queue_each_other_before_waiting) {
  crpc_task_init(&tasks[0], start_chain, NULL);
  crpc_loop_post(loop, &tasks[0]);
  cr_assert_eq(wait_ran(4), 4);
  for (int i = 0; i < 4; i++)
    cr_assert_eq(ran[i], i);
}

/* While the loop's own post waits (it sent no wake-up), another thread
 * posts to the non-empty list, which sends none either: both still run,
 * before the loop waits. */
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void post_then_hold(void *arg) {
  record(1);
  crpc_task_init(&tasks[2], plain, (void *)(intptr_t)2);
  crpc_loop_post(loop, &tasks[2]);
  pthread_mutex_lock(&gate); /* the test thread posts task 3 meanwhile */
  pthread_mutex_unlock(&gate);
}

static void queue_holder(void *arg) {
  record(0);
  is_queued = false;
  crpc_task_init(&tasks[1], post_then_hold, NULL);
  crpc_loop_before_wait(loop, &tasks[1], &is_queued);
}

Test(loop, runs_a_remote_post_queued_behind_the_loops_own) {
  pthread_mutex_lock(&gate);
  crpc_task_init(&tasks[0], queue_holder, NULL);
  crpc_loop_post(loop, &tasks[0]);
  cr_assert_eq(wait_ran(2), 2);
  crpc_task_init(&tasks[3], plain, (void *)(intptr_t)3);
  crpc_loop_post(loop, &tasks[3]);
  pthread_mutex_unlock(&gate);
  cr_assert_eq(wait_ran(4), 4);
  for (int i = 0; i < 4; i++)
    cr_assert_eq(ran[i], i);
}
