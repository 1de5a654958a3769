/* base/mem.c: allocation wrappers with a failure-injection hook for tests. */
#include "base/mem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/*
 * Allocations left before failing, or -1 when injection is off. Read with a
 * relaxed load so that production code pays one plain load per allocation;
 * only an armed hook pays for the compare-and-swap that lets several
 * threads count down together.
 */
static atomic_long fail_countdown = -1;
static atomic_bool fail_only_once;
static atomic_long failures;

static void arm(long count, bool once) {
  atomic_store_explicit(&fail_only_once, once, memory_order_relaxed);
  atomic_store_explicit(&fail_countdown, count < 0 ? -1 : count,
                        memory_order_relaxed);
}

void crpc_mem_fail_after(long count) { arm(count, false); }

void crpc_mem_fail_once_after(long count) { arm(count, true); }

long crpc_mem_failures(void) {
  return atomic_load_explicit(&failures, memory_order_relaxed);
}

static int should_fail(void) {
  long left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
  long next;

  while (left >= 0) {
    if (left > 0)
      next = left - 1;
    else /* this one fails; so do the rest unless only once */
      next =
          atomic_load_explicit(&fail_only_once, memory_order_relaxed) ? -1 : 0;
    if (atomic_compare_exchange_weak_explicit(&fail_countdown, &left, next,
                                              memory_order_relaxed,
                                              memory_order_relaxed)) {
      if (left > 0)
        return 0;
      atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
      return 1;
    }
  }
  return 0;
}

void *crpc_mem_malloc(size_t n) {
  if (should_fail())
    return NULL;
  /* malloc(0) may return NULL, which callers would take for OOM. */
  return malloc(n ? n : 1);
}

static atomic_bool nghttp2_fails = true;

void crpc_mem_fail_nghttp2(bool enabled) {
  atomic_store_explicit(&nghttp2_fails, enabled, memory_order_relaxed);
}

void *crpc_mem_malloc_nghttp2(size_t n) {
  if (atomic_load_explicit(&nghttp2_fails, memory_order_relaxed))
    return crpc_mem_malloc(n);
  return malloc(n ? n : 1);
}

void *crpc_mem_calloc(size_t count, size_t n) {
  if (should_fail())
    return NULL;
  return calloc(count ? count : 1, n ? n : 1);
}

void *crpc_mem_malloc_zeroed(size_t n, size_t zeroed_len) {
  void *p = crpc_mem_malloc(n);

  if (p != NULL)
    memset(p, 0, zeroed_len < n ? zeroed_len : n);
  return p;
}

void crpc_mem_zero(void *p, size_t n) { memset(p, 0, n); }

void *crpc_mem_realloc(void *p, size_t n) {
  if (should_fail())
    return NULL;
  return realloc(p, n ? n : 1);
}

void crpc_mem_free(void *p) { free(p); }

char *crpc_mem_strndup(const char *s, size_t n) {
  size_t len = strnlen(s, n);
  char *copy = crpc_mem_malloc(len + 1);

  if (copy == NULL)
    return NULL;
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}

char *crpc_mem_strdup(const char *s) {
  size_t len = strlen(s);
  char *copy = crpc_mem_malloc(len + 1);

  if (copy == NULL)
    return NULL;
  memcpy(copy, s, len + 1);
  return copy;
}
