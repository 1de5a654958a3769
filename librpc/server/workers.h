/*
 * server/workers.h: threads that run handlers.
 *
 * Threads start on demand, up to a maximum, and then wait for work; a task
 * queued while every thread is busy waits its turn.
 */
#ifndef CRPC_WORKERS_H
#define CRPC_WORKERS_H

#include "transport/loop.h"

typedef struct crpc_workers crpc_workers;

crpc_code crpc_workers_new(crpc_workers **out, int max_threads);

/* Runs |task| on a worker thread. Any thread. */
void crpc_workers_run(crpc_workers *w, crpc_task *task);

/* Runs what is queued, then stops and joins every thread. NULL is a no-op. */
void crpc_workers_free(crpc_workers *w);

#endif /* CRPC_WORKERS_H */
