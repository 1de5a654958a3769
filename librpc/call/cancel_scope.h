/*
 * call/cancel_scope.h: cancellation that flows from a call to the calls
 * made on its behalf (gRPC C-core's propagation of cancellation).
 *
 * A server call owns a scope; a client call started with that call as its
 * parent joins the scope and leaves it when it finishes. Cancelling the
 * scope (client gone, deadline passed) cancels every member still in it.
 */
#ifndef CRPC_CANCEL_SCOPE_H
#define CRPC_CANCEL_SCOPE_H

#include <pthread.h>
#include <stdbool.h>

#include "base/list.h"

typedef struct crpc_cancel_scope crpc_cancel_scope;

typedef struct crpc_cancel_member {
  crpc_list node;
  crpc_cancel_scope *scope; /* NULL when not in one */
  void (*cancel)(void *member);
  void *member;
} crpc_cancel_member;

struct crpc_cancel_scope {
  pthread_mutex_t mu;
  bool is_cancelled;
  crpc_list members;
  /* The scope's owner stays alive while it has members. */
  void (*hold)(void *owner);
  void (*release)(void *owner);
  void *owner;
};

void crpc_cancel_scope_init(crpc_cancel_scope *scope, void *owner,
                            void (*hold)(void *), void (*release)(void *));
void crpc_cancel_scope_destroy(crpc_cancel_scope *scope);
/* Not cancelled, no members, the same owner: for the owner's next call. */
void crpc_cancel_scope_reset(crpc_cancel_scope *scope);

/*
 * Adds |m| to |scope|. Returns false, without adding, when the scope is
 * already cancelled: the caller cancels its call at once.
 */
bool crpc_cancel_scope_join(crpc_cancel_scope *scope, crpc_cancel_member *m);

/* Takes |m| out of its scope, if any. Any thread; idempotent. */
void crpc_cancel_scope_leave(crpc_cancel_member *m);

/*
 * Cancels the scope once: every member's cancel runs, under the scope's
 * lock, so it must only flag and post (as crpc_call_cancel does).
 */
void crpc_cancel_scope_cancel(crpc_cancel_scope *scope);

#endif /* CRPC_CANCEL_SCOPE_H */
