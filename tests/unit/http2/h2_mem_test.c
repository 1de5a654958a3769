/*
 * tests/unit/http2/h2_mem_test.c: the per-connection allocator nghttp2
 * uses, driven through its nghttp2_mem table as nghttp2 would.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "base/mem.h"
#include "http2/h2_mem.h"

static crpc_h2_mem m;

static void *alloc(size_t n) { return m.mem.malloc(n, m.mem.mem_user_data); }
static void release(void *p) { m.mem.free(p, m.mem.mem_user_data); }
static void *grow(void *p, size_t n) {
  return m.mem.realloc(p, n, m.mem.mem_user_data);
}

static void setup(void) { crpc_h2_mem_init(&m); }
static void teardown(void) {
  crpc_mem_fail_after(-1);
  crpc_h2_mem_destroy(&m); /* the sanitizers check nothing leaks */
}

TestSuite(h2_mem, .init = setup, .fini = teardown);

Test(h2_mem, reuses_a_freed_block_of_the_same_class) {
  void *a = alloc(100);
  cr_assert_not_null(a);
  cr_assert_eq((uintptr_t)a % 16, 0);
  release(a);
  cr_assert_eq(m.cached, 128);
  /* Any size of the class (65..128) gets it back, with no malloc. */
  crpc_mem_fail_after(0);
  cr_assert_eq(alloc(70), a);
  cr_assert_null(alloc(70)); /* the list is empty again: malloc fails */
  crpc_mem_fail_after(-1);
  cr_assert_eq(m.cached, 0);
  release(a);
  release(NULL);
}

Test(h2_mem, rounds_sizes_up_to_the_next_class) {
  static const struct {
    size_t n, kept;
  } cases[] = {{0, 64},    {1, 64},      {64, 64},     {65, 128},    {128, 128},
               {129, 256}, {1024, 1024}, {1025, 2048}, {2048, 2048}, {2049, 0}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    void *p = alloc(cases[i].n);
    cr_assert_not_null(p);
    memset(p, 7, cases[i].n);
    release(p);
    cr_assert_eq(m.cached, cases[i].kept, "%zu bytes", cases[i].n);
    crpc_h2_mem_destroy(&m);
    crpc_h2_mem_init(&m);
  }
}

Test(h2_mem, sends_large_blocks_straight_back) {
  void *big = alloc(4096);
  cr_assert_not_null(big);
  memset(big, 1, 4096);
  release(big);
  cr_assert_eq(m.cached, 0);
}

Test(h2_mem, caps_the_bytes_it_keeps) {
  enum { N = CRPC_H2_MEM_CACHE_MAX / 2048 + 8 };
  void *blocks[N];
  for (int i = 0; i < N; i++)
    cr_assert_not_null(blocks[i] = alloc(2048));
  for (int i = 0; i < N; i++)
    release(blocks[i]);
  cr_assert_eq(m.cached, CRPC_H2_MEM_CACHE_MAX);
}

Test(h2_mem, calloc_zeroes_a_recycled_block) {
  unsigned char *p = alloc(200);
  memset(p, 0xab, 200);
  release(p);
  unsigned char *q = m.mem.calloc(25, 8, m.mem.mem_user_data);
  cr_assert_eq(q, p);
  for (int i = 0; i < 200; i++)
    cr_assert_eq(q[i], 0, "byte %d", i);
  release(q);
  cr_assert_null(m.mem.calloc(SIZE_MAX / 2, 4, m.mem.mem_user_data));
}

Test(h2_mem, realloc_keeps_the_bytes_across_classes) {
  char *p = grow(NULL, 10);
  memcpy(p, "0123456789", 10);
  cr_assert_eq(grow(p, 64), p); /* still fits its 64-byte block */
  p = grow(p, 1000);
  cr_assert_not_null(p);
  cr_assert_eq(memcmp(p, "0123456789", 10), 0);
  p = grow(p, 10000); /* now a large block */
  cr_assert_not_null(p);
  cr_assert_eq(memcmp(p, "0123456789", 10), 0);
  crpc_mem_fail_after(0);
  cr_assert_null(grow(p, 20000)); /* the old block stays valid */
  crpc_mem_fail_after(-1);
  cr_assert_eq(memcmp(p, "0123456789", 10), 0);
  release(p);
}
