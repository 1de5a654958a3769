/*
 * server/workers.c: an on-demand pool of handler threads.
 */
#include "server/workers.h"

#include <pthread.h>
#include <signal.h>

#include "base/log.h"
#include "base/mem.h"

struct crpc_workers {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  crpc_task *head, *tail; /* queued work */
  int queued;             /* tasks in that queue */
  int max_threads;
  int thread_count;
  int idle_count;
  bool is_stopping;
  pthread_t *threads;
};

static void *worker_main(void *arg) {
  crpc_workers *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (w->head == NULL && !w->is_stopping) {
      w->idle_count++;
      pthread_cond_wait(&w->cv, &w->mu);
      w->idle_count--;
    }
    crpc_task *t = w->head;
    if (t == NULL)
      break; /* stopping, and nothing left to run */
    w->head = t->next;
    if (w->head == NULL)
      w->tail = NULL;
    w->queued--;
    t->next = NULL;
    pthread_mutex_unlock(&w->mu);
    t->cb(t->arg);
    pthread_mutex_lock(&w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

crpc_code crpc_workers_new(crpc_workers **out, int max_threads) {
  crpc_workers *w = crpc_mem_calloc(1, sizeof(*w));
  if (w == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  w->threads = crpc_mem_calloc((size_t)max_threads, sizeof(*w->threads));
  if (w->threads == NULL) {
    crpc_mem_free(w);
    return CRPC_RESOURCE_EXHAUSTED;
  }
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  w->max_threads = max_threads;
  *out = w;
  return CRPC_OK;
}

void crpc_workers_run(crpc_workers *w, crpc_task *task) {
  pthread_mutex_lock(&w->mu);
  task->next = NULL;
  if (w->tail != NULL)
    w->tail->next = task;
  else
    w->head = task;
  w->tail = task;
  w->queued++;
  /*
   * A thread per task until the cap: a blocked handler must not hold up
   * the others queued behind it. Idle threads count only for as many tasks
   * as there are of them: one signalled but not yet awake is still idle,
   * and tasks queued before it wakes need threads of their own.
   */
  if (w->queued > w->idle_count && w->thread_count < w->max_threads) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    if (pthread_create(&w->threads[w->thread_count], NULL, worker_main, w) ==
        0)
      w->thread_count++;
    else if (w->thread_count == 0)
      crpc_log(CRPC_LOG_ERROR, "cannot start a handler thread");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
  } else {
    pthread_cond_signal(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
}

void crpc_workers_free(crpc_workers *w) {
  if (w == NULL)
    return;
  pthread_mutex_lock(&w->mu);
  w->is_stopping = true;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  for (int i = 0; i < w->thread_count; i++)
    pthread_join(w->threads[i], NULL);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  crpc_mem_free(w->threads);
  crpc_mem_free(w);
}
