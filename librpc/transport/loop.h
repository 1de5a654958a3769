/*
 * transport/loop.h: an event loop on its own thread, with I/O watchers,
 * timers and a queue for work posted from other threads.
 *
 * This is the only layer that includes <ev.h>: watchers here hide libev's
 * types behind storage that is embedded in their owner, so arming a timer
 * for a call allocates nothing.
 *
 * Thread rules: crpc_loop_post() may be called from any thread; everything
 * else only on the loop's own thread (crpc_loop_is_current()).
 */
#ifndef CRPC_LOOP_H
#define CRPC_LOOP_H

#include <stdbool.h>

#include "crpc/common.h"

typedef struct crpc_loop crpc_loop;

/* Work for a loop: embedded in its owner, posted at most once at a time. */
typedef void crpc_task_cb(void *arg);
typedef struct crpc_task {
  struct crpc_task *next;
  crpc_task_cb *cb;
  void *arg;
} crpc_task;

static inline void crpc_task_init(crpc_task *t, crpc_task_cb *cb, void *arg) {
  t->next = NULL;
  t->cb = cb;
  t->arg = arg;
}

/* Starts a thread running a new loop. */
crpc_code crpc_loop_new(crpc_loop **out);

/*
 * Runs every posted task that is still queued, stops the thread and frees
 * the loop. Watchers must be stopped first. NULL is a no-op.
 */
void crpc_loop_free(crpc_loop *loop);

/* The loop that client channels use, started on first use (never freed). */
crpc_loop *crpc_loop_shared(void);

/* Runs |task| on the loop's thread, soon. Any thread. */
void crpc_loop_post(crpc_loop *loop, crpc_task *task);

/*
 * Runs |task| on the loop's thread just before it next waits for events,
 * once even if requested many times before then. Batches work such as
 * writing out a connection's frames. Loop thread only.
 */
void crpc_loop_before_wait(crpc_loop *loop, crpc_task *task, bool *is_queued);

bool crpc_loop_is_current(const crpc_loop *loop);

/* Opaque watcher storage, large enough for libev's ev_io / ev_timer. */
#define CRPC_WATCHER_STORAGE 64

typedef void crpc_io_cb(void *arg, bool readable, bool writable);
typedef struct crpc_io {
  _Alignas(16) unsigned char ev[CRPC_WATCHER_STORAGE];
  crpc_loop *loop;
  crpc_io_cb *cb;
  void *arg;
} crpc_io;

void crpc_io_init(crpc_io *io, crpc_loop *loop, int fd, crpc_io_cb *cb,
                  void *arg);
/* Sets the events of interest; both false stops the watcher. */
void crpc_io_want(crpc_io *io, bool read, bool write);

typedef void crpc_timer_cb(void *arg);
typedef struct crpc_timer {
  _Alignas(16) unsigned char ev[CRPC_WATCHER_STORAGE];
  crpc_loop *loop;
  crpc_timer_cb *cb;
  void *arg;
} crpc_timer;

void crpc_timer_init(crpc_timer *t, crpc_loop *loop, crpc_timer_cb *cb,
                     void *arg);
/* (Re)arms the timer to fire once at |deadline| (crpc_now_ms() clock). */
void crpc_timer_start_at(crpc_timer *t, int64_t deadline);
void crpc_timer_stop(crpc_timer *t);

#endif /* CRPC_LOOP_H */
