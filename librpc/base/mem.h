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

#include <stdbool.h>
#include <stddef.h>

#include "base/export.h"

/* malloc(3) and friends; NULL when out of memory (or when made to fail). */
CRPC_INTERNAL_API void *crpc_mem_malloc(size_t n);
CRPC_INTERNAL_API void *crpc_mem_calloc(size_t count, size_t n);
/*
 * |n| bytes of which only the first |zeroed_len| are zeroed: for objects
 * that end in storage needing no initialization, such as an arena's first
 * block, which would otherwise be most of what calloc clears.
 */
void *crpc_mem_malloc_zeroed(size_t n, size_t zeroed_len);
/*
 * memset(p, 0, n) through libc's, which picks its stores by size: a
 * memset of a constant size is inlined as "rep stos", slower than vector
 * stores below a few KiB (glibc's own threshold is 2 KiB).
 */
void crpc_mem_zero(void *p, size_t n);
void *crpc_mem_realloc(void *p, size_t n);

/* free(3); NULL is a no-op. */
CRPC_INTERNAL_API void crpc_mem_free(void *p);

/*
 * Memory a cache keeps for later (a free list) is poisoned while it waits,
 * so that AddressSanitizer still reports a use after "free"; without
 * AddressSanitizer these do nothing.
 */
#if defined(__SANITIZE_ADDRESS__)
#define CRPC_MEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CRPC_MEM_ASAN 1
#endif
#endif
#ifdef CRPC_MEM_ASAN
#include <sanitizer/asan_interface.h>
#define crpc_mem_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define crpc_mem_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define crpc_mem_poison(p, n) ((void)(p), (void)(n))
#define crpc_mem_unpoison(p, n) ((void)(p), (void)(n))
#endif

/* Copies of |s|; crpc_mem_strndup copies at most |n| bytes, NUL-terminated. */
CRPC_INTERNAL_API char *crpc_mem_strdup(const char *s);
CRPC_INTERNAL_API char *crpc_mem_strndup(const char *s, size_t n);

/*
 * Test hooks, process-wide (every thread's allocations count).
 * crpc_mem_fail_after: after |count| more successful allocations, every
 * allocation fails until this is called again. crpc_mem_fail_once_after:
 * only the one allocation after the next |count| fails; the rest succeed.
 * -1 (the default) disables failing, in either.
 */
void crpc_mem_fail_after(long count);
void crpc_mem_fail_once_after(long count);

/* How many allocations the hooks have made fail since the process began. */
long crpc_mem_failures(void);

/*
 * crpc_mem_malloc for nghttp2's memory (http2/h2_mem.c), which the hooks
 * fail only while crpc_mem_fail_nghttp2(true), the default. nghttp2 1.52
 * frees a DATA frame's item twice when queueing it runs out of memory
 * (nghttp2_submit_data after nghttp2_stream_attach_item fails), so tests
 * of whole calls turn it off, not to test nghttp2's bug instead of ours.
 */
void *crpc_mem_malloc_nghttp2(size_t n);
void crpc_mem_fail_nghttp2(bool enabled);

#endif /* CRPC_BASE_MEM_H */
