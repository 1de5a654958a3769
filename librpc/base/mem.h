/*
 * base/mem.h: the one allocator entry point of the library.
 *
 * Every allocation in librpc goes through these wrappers so that tests can
 * make allocation fail on demand (crpc_mem_fail_after) and check that each
 * out-of-memory path returns RESOURCE_EXHAUSTED without leaking, like
 * nghttp2's tests/failmalloc.c.
 */
#ifndef CRPC_BASE_MEM_H
#define CRPC_BASE_MEM_H

#include <stddef.h>

/* malloc(3) and friends; NULL when out of memory (or when made to fail). */
void *crpc_mem_malloc(size_t n);
void *crpc_mem_calloc(size_t count, size_t n);
/*
 * |n| bytes of which only the first |zeroed_len| are zeroed: for objects
 * that end in storage needing no initialization, such as an arena's first
 * block, which would otherwise be most of what calloc clears.
 */
void *crpc_mem_malloc_zeroed(size_t n, size_t zeroed_len);
void *crpc_mem_realloc(void *p, size_t n);

/* free(3); NULL is a no-op. */
void crpc_mem_free(void *p);

/* Copies of |s|; crpc_mem_strndup copies at most |n| bytes, NUL-terminated. */
char *crpc_mem_strdup(const char *s);
char *crpc_mem_strndup(const char *s, size_t n);

/*
 * Test hook: after |count| more successful allocations, every allocation
 * fails until this is called again. -1 (the default) disables failing.
 * Process-wide; meant for single-threaded unit tests.
 */
void crpc_mem_fail_after(long count);

#endif /* CRPC_BASE_MEM_H */
