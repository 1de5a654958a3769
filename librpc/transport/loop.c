/*
 * transport/loop.c: libev loops on their own threads.
 *
 * Cross-thread work arrives through a mutex-protected list and one ev_async
 * wake-up; the posting thread signals only when the list was empty, so a
 * burst of posts costs one wake-up. Work that should happen once per loop
 * iteration (flushing a connection's frames) waits in a before-wait list
 * that an ev_prepare watcher drains just before the loop polls. Work the
 * loop posts to itself (a call started from a completion) needs no
 * wake-up: the same watcher runs it before polling, so that what it sends
 * leaves in this iteration's write, not after another poll.
 */
#include "transport/loop.h"

#include <assert.h>
#include <ev.h>
#include <pthread.h>
#include <signal.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

_Static_assert(sizeof(ev_io) <= CRPC_WATCHER_STORAGE, "ev_io storage");
_Static_assert(sizeof(ev_timer) <= CRPC_WATCHER_STORAGE, "ev_timer storage");

struct crpc_loop {
  struct ev_loop *ev;
  pthread_t thread;
  pthread_mutex_t mu;
  crpc_task *posted_head; /* guarded by mu */
  crpc_task *posted_tail;
  bool is_stopping; /* guarded by mu */
  ev_async wake;
  ev_prepare prepare;
  crpc_task *before_wait; /* loop thread only */
  bool is_posted_here;    /* loop thread only: it posted to itself */
};

static _Thread_local crpc_loop *current_loop;

static void run_posted(crpc_loop *loop) {
  for (;;) {
    pthread_mutex_lock(&loop->mu);
    crpc_task *t = loop->posted_head;
    loop->posted_head = loop->posted_tail = NULL;
    bool is_stopping = loop->is_stopping;
    pthread_mutex_unlock(&loop->mu);
    if (t == NULL) {
      if (is_stopping)
        ev_break(loop->ev, EVBREAK_ALL);
      return;
    }
    while (t != NULL) {
      crpc_task *next = t->next;
      t->next = NULL;
      t->cb(t->arg);
      t = next;
    }
  }
}

static void on_wake(struct ev_loop *ev, ev_async *w, int revents) {
  run_posted(w->data);
}

static void on_prepare(struct ev_loop *ev, ev_prepare *w, int revents) {
  crpc_loop *loop = w->data;
  /* A task may queue more of either kind; drain until quiet. */
  while (loop->is_posted_here || loop->before_wait != NULL) {
    if (loop->is_posted_here) {
      loop->is_posted_here = false;
      run_posted(loop);
    }
    while (loop->before_wait != NULL) {
      crpc_task *t = loop->before_wait;
      loop->before_wait = t->next;
      t->next = NULL;
      t->cb(t->arg);
    }
  }
}

static void *loop_main(void *arg) {
  crpc_loop *loop = arg;
  current_loop = loop;
  ev_run(loop->ev, 0);
  current_loop = NULL;
  return NULL;
}

crpc_code crpc_loop_new(crpc_loop **out) {
  crpc_loop *loop = crpc_mem_calloc(1, sizeof(*loop));
  if (loop == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  loop->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
  if (loop->ev == NULL)
    goto fail;
  pthread_mutex_init(&loop->mu, NULL);
  ev_async_init(&loop->wake, on_wake);
  loop->wake.data = loop;
  ev_async_start(loop->ev, &loop->wake);
  ev_prepare_init(&loop->prepare, on_prepare);
  loop->prepare.data = loop;
  ev_prepare_start(loop->ev, &loop->prepare);
  /* The async and prepare watchers must not keep ev_run alive alone, but
   * the loop lives until crpc_loop_free(): keep one reference. */
  ev_unref(loop->ev);

  /* I/O threads never take process signals: the application's own threads
   * (sigwait in main) do. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int rc = pthread_create(&loop->thread, NULL, loop_main, loop);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    pthread_mutex_destroy(&loop->mu);
    goto fail;
  }
  *out = loop;
  return CRPC_OK;

fail:
  if (loop->ev != NULL)
    ev_loop_destroy(loop->ev);
  crpc_mem_free(loop);
  return CRPC_RESOURCE_EXHAUSTED;
}

void crpc_loop_free(crpc_loop *loop) {
  if (loop == NULL)
    return;
  assert(!crpc_loop_is_current(loop));
  pthread_mutex_lock(&loop->mu);
  loop->is_stopping = true;
  pthread_mutex_unlock(&loop->mu);
  ev_async_send(loop->ev, &loop->wake);
  pthread_join(loop->thread, NULL);
  ev_ref(loop->ev);
  ev_async_stop(loop->ev, &loop->wake);
  ev_prepare_stop(loop->ev, &loop->prepare);
  ev_loop_destroy(loop->ev);
  pthread_mutex_destroy(&loop->mu);
  crpc_mem_free(loop);
}

static crpc_loop *shared_loop;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void start_shared(void) {
  if (crpc_loop_new(&shared_loop) != CRPC_OK)
    crpc_log(CRPC_LOG_ERROR, "cannot start the client I/O thread");
}

crpc_loop *crpc_loop_shared(void) {
  pthread_once(&shared_once, start_shared);
  return shared_loop;
}

void crpc_loop_post(crpc_loop *loop, crpc_task *task) {
  pthread_mutex_lock(&loop->mu);
  bool was_empty = loop->posted_head == NULL;
  task->next = NULL;
  if (was_empty)
    loop->posted_head = task;
  else
    loop->posted_tail->next = task;
  loop->posted_tail = task;
  pthread_mutex_unlock(&loop->mu);
  if (crpc_loop_is_current(loop))
    loop->is_posted_here = true; /* on_prepare() runs it before polling */
  else if (was_empty) /* else a wake-up is already on its way */
    ev_async_send(loop->ev, &loop->wake);
}

void crpc_loop_before_wait(crpc_loop *loop, crpc_task *task, bool *is_queued) {
  assert(crpc_loop_is_current(loop));
  if (*is_queued)
    return;
  *is_queued = true;
  task->next = loop->before_wait;
  loop->before_wait = task;
}

bool crpc_loop_is_current(const crpc_loop *loop) {
  return current_loop == loop;
}

static void on_io(struct ev_loop *ev, ev_io *w, int revents) {
  crpc_io *io = w->data;
  io->cb(io->arg, (revents & EV_READ) != 0, (revents & EV_WRITE) != 0);
}

void crpc_io_init(crpc_io *io, crpc_loop *loop, int fd, crpc_io_cb *cb,
                  void *arg) {
  ev_io *w = (ev_io *)io->ev;
  ev_io_init(w, on_io, fd, 0);
  w->data = io;
  io->loop = loop;
  io->cb = cb;
  io->arg = arg;
}

void crpc_io_want(crpc_io *io, bool read, bool write) {
  ev_io *w = (ev_io *)io->ev;
  int events = (read ? EV_READ : 0) | (write ? EV_WRITE : 0);
  if (ev_is_active(w)) {
    if ((w->events & (EV_READ | EV_WRITE)) == events)
      return;
    ev_io_stop(io->loop->ev, w);
  }
  if (events == 0)
    return;
  ev_io_set(w, w->fd, events);
  ev_io_start(io->loop->ev, w);
}

static void on_timer(struct ev_loop *ev, ev_timer *w, int revents) {
  crpc_timer *t = w->data;
  t->cb(t->arg);
}

void crpc_timer_init(crpc_timer *t, crpc_loop *loop, crpc_timer_cb *cb,
                     void *arg) {
  ev_timer *w = (ev_timer *)t->ev;
  ev_timer_init(w, on_timer, 0., 0.);
  w->data = t;
  t->loop = loop;
  t->cb = cb;
  t->arg = arg;
}

void crpc_timer_start_at(crpc_timer *t, int64_t deadline) {
  ev_timer *w = (ev_timer *)t->ev;
  int64_t delay_ms = deadline - crpc_now_ms();
  ev_timer_stop(t->loop->ev, w);
  /* libev measures from its cached "now"; refresh it so a deadline computed
   * just now is not shortened by a long callback before this one. */
  ev_now_update(t->loop->ev);
  ev_timer_set(w, delay_ms > 0 ? (double)delay_ms / 1000. : 0., 0.);
  ev_timer_start(t->loop->ev, w);
}

void crpc_timer_stop(crpc_timer *t) {
  ev_timer_stop(t->loop->ev, (ev_timer *)t->ev);
}
