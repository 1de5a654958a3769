/*
 * server/server.h: what server calls need from their server.
 */
#ifndef CRPC_SERVER_INTERNAL_H
#define CRPC_SERVER_INTERNAL_H

#include "crpc/server.h"
#include "server/workers.h"

/* A registered method with its service's handler table. */
typedef struct crpc_server_method {
  const crpc_method_desc *desc;
  const void *handlers;
  void *user_data;
  size_t path_len; /* strlen(desc->path) */
} crpc_server_method;

/* The method served at |path|, or NULL. Any thread, once running. */
const crpc_server_method *crpc_server_find_method(const crpc_server *server,
                                                  const char *path,
                                                  size_t len);

size_t crpc_server_max_recv_len(const crpc_server *server);
crpc_workers *crpc_server_workers(const crpc_server *server);
/* True when unary handlers run on the I/O thread. */
bool crpc_server_runs_inline(const crpc_server *server);

/*
 * Live calls are counted so that shutdown can wait for their handlers:
 * opened on the I/O thread of the call's connection, freed on any thread.
 */
void crpc_server_call_opened(crpc_server *server);
void crpc_server_call_freed(crpc_server *server);

/*
 * Call objects freed on an I/O thread wait in that loop's cache for its
 * next calls (server_call.c). The cache of the calling thread's loop, or
 * NULL when it runs none of |server|'s loops.
 */
typedef struct crpc_call_cache {
  void *head;
  size_t count;
} crpc_call_cache;
crpc_call_cache *crpc_server_call_cache(crpc_server *server);

/*
 * Overload: admits one more call in flight unless max_calls are; an
 * admitted call is retired once, when it is freed.
 */
bool crpc_server_admit_call(crpc_server *server);
void crpc_server_call_retired(crpc_server *server);
size_t crpc_server_max_calls(const crpc_server *server);

/* True if some registered service is named |name| (|len| bytes). */
bool crpc_server_has_service(const crpc_server *server, const char *name,
                             size_t len);
#endif /* CRPC_SERVER_INTERNAL_H */
