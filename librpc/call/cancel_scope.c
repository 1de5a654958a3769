/*
 * call/cancel_scope.c: propagating cancellation to child calls.
 */
#include "call/cancel_scope.h"

void crpc_cancel_scope_init(crpc_cancel_scope *scope, void *owner,
                            void (*hold)(void *), void (*release)(void *)) {
  pthread_mutex_init(&scope->mu, NULL);
  scope->hold = hold;
  scope->release = release;
  scope->owner = owner;
  crpc_cancel_scope_reset(scope);
}

void crpc_cancel_scope_reset(crpc_cancel_scope *scope) {
  scope->is_cancelled = false;
  crpc_list_init(&scope->members);
}

void crpc_cancel_scope_destroy(crpc_cancel_scope *scope) {
  pthread_mutex_destroy(&scope->mu);
}

bool crpc_cancel_scope_join(crpc_cancel_scope *scope, crpc_cancel_member *m) {
  pthread_mutex_lock(&scope->mu);
  bool ok = !scope->is_cancelled;
  if (ok) {
    crpc_list_insert_tail(&scope->members, &m->node);
    m->scope = scope;
    scope->hold(scope->owner);
  }
  pthread_mutex_unlock(&scope->mu);
  return ok;
}

void crpc_cancel_scope_leave(crpc_cancel_member *m) {
  crpc_cancel_scope *scope = m->scope;
  if (scope == NULL)
    return;
  pthread_mutex_lock(&scope->mu);
  bool was_member = m->scope != NULL;
  if (was_member) {
    crpc_list_remove(&m->node);
    m->scope = NULL;
  }
  pthread_mutex_unlock(&scope->mu);
  if (was_member)
    scope->release(scope->owner);
}

void crpc_cancel_scope_cancel(crpc_cancel_scope *scope) {
  pthread_mutex_lock(&scope->mu);
  if (!scope->is_cancelled) {
    scope->is_cancelled = true;
    for (crpc_list *n = scope->members.next; n != &scope->members;
         n = n->next) {
      crpc_cancel_member *m = crpc_container_of(n, crpc_cancel_member, node);
      m->cancel(m->member);
    }
  }
  pthread_mutex_unlock(&scope->mu);
}
