/*
 * base/list.h: an intrusive, circular, doubly linked list.
 *
 * Embed a crpc_list in each element and get the element back with
 * crpc_container_of. The head is a crpc_list too; an empty list is a head
 * linked to itself. Nothing here allocates.
 */
#ifndef CRPC_BASE_LIST_H
#define CRPC_BASE_LIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct crpc_list {
  struct crpc_list *prev, *next;
} crpc_list;

/* The struct of type |type| whose field |member| is at |ptr|. */
#define crpc_container_of(ptr, type, member)                                   \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Makes |l| an empty head, or a detached node. */
static inline void crpc_list_init(crpc_list *l) {
  l->prev = l;
  l->next = l;
}

static inline bool crpc_list_is_empty(const crpc_list *head) {
  return head->next == head;
}

static inline void crpc_list_insert_tail(crpc_list *head, crpc_list *node) {
  node->prev = head->prev;
  node->next = head;
  head->prev->next = node;
  head->prev = node;
}

/*
 * Unlinks |node| and leaves it self-linked, so removing it twice is
 * harmless and crpc_list_is_empty(node) tells whether it is linked.
 */
static inline void crpc_list_remove(crpc_list *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  crpc_list_init(node);
}

/* Removes and returns the first node, or NULL when the list is empty. */
static inline crpc_list *crpc_list_pop_head(crpc_list *head) {
  crpc_list *node;

  if (crpc_list_is_empty(head))
    return NULL;
  node = head->next;
  crpc_list_remove(node);
  return node;
}

#endif /* CRPC_BASE_LIST_H */
