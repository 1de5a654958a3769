/* http2/h2_mem.c: size-class free lists for nghttp2, one set per connection. */
#include "http2/h2_mem.h"

#include <stdint.h>
#include <string.h>

#include "base/mem.h"

#define SMALLEST 64
#define LARGE CRPC_H2_MEM_CLASSES /* the class of blocks not pooled */
_Static_assert(SMALLEST == 64, "class_of() subtracts log2(64)");

/*
 * Every block starts with a header naming its class, so that free and
 * realloc, which nghttp2 calls without a size, know where it goes. 16
 * bytes keep the caller's part as aligned as malloc's.
 */
typedef struct crpc_h2_block {
  union {
    struct crpc_h2_block *next; /* on a free list */
    size_t cls;                 /* in use */
  } u;
  size_t len; /* usable bytes after the header */
} block;

_Static_assert(sizeof(block) == 16, "block header keeps 16-byte alignment");

/* The smallest class whose blocks hold |n| bytes: ceil(log2(n)) - 6. */
static size_t class_of(size_t n) {
  if (n <= SMALLEST)
    return 0;
  if (n > ((size_t)SMALLEST << (LARGE - 1)))
    return LARGE;
  return (size_t)(64 - __builtin_clzll((unsigned long long)(n - 1))) - 6;
}

static size_t class_len(size_t cls) { return (size_t)SMALLEST << cls; }

static void *take(crpc_h2_mem *m, size_t n) {
  size_t cls = class_of(n);
  block *b;

  if (cls < LARGE && m->free[cls] != NULL) {
    b = m->free[cls];
    m->free[cls] = b->u.next;
    m->cached -= b->len;
  } else {
    size_t len = cls < LARGE ? class_len(cls) : n;
    if (len > SIZE_MAX - sizeof(block))
      return NULL;
    b = crpc_mem_malloc_nghttp2(sizeof(block) + len);
    if (b == NULL)
      return NULL;
    b->len = len;
  }
  b->u.cls = cls;
  return b + 1;
}

static void give_back(crpc_h2_mem *m, void *p) {
  block *b;

  if (p == NULL)
    return;
  b = (block *)p - 1;
  if (b->u.cls == LARGE || m->cached + b->len > CRPC_H2_MEM_CACHE_MAX) {
    crpc_mem_free(b);
    return;
  }
  size_t cls = b->u.cls;
  b->u.next = m->free[cls];
  m->free[cls] = b;
  m->cached += b->len;
}

static void *h2_malloc(size_t n, void *user_data) { return take(user_data, n); }

static void h2_free(void *p, void *user_data) { give_back(user_data, p); }

static void *h2_calloc(size_t count, size_t n, void *user_data) {
  void *p;

  if (n != 0 && count > SIZE_MAX / n)
    return NULL;
  p = take(user_data, count * n);
  if (p != NULL)
    memset(p, 0, count * n);
  return p;
}

static void *h2_realloc(void *p, size_t n, void *user_data) {
  crpc_h2_mem *m = user_data;
  block *b;
  void *q;

  if (p == NULL)
    return take(m, n);
  b = (block *)p - 1;
  if (n <= b->len)
    return p; /* shrinking, or growing within the block */
  q = take(m, n);
  if (q == NULL)
    return NULL;
  memcpy(q, p, b->len);
  give_back(m, p);
  return q;
}

void crpc_h2_mem_init(crpc_h2_mem *m) {
  memset(m, 0, sizeof(*m));
  m->mem = (nghttp2_mem){.mem_user_data = m,
                         .malloc = h2_malloc,
                         .free = h2_free,
                         .calloc = h2_calloc,
                         .realloc = h2_realloc};
}

void crpc_h2_mem_destroy(crpc_h2_mem *m) {
  for (size_t cls = 0; cls < LARGE; cls++) {
    while (m->free[cls] != NULL) {
      block *b = m->free[cls];
      m->free[cls] = b->u.next;
      crpc_mem_free(b);
    }
  }
  m->cached = 0;
}
