/* Tests for base/arena.c. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/mem.h"

static bool is_aligned(const void *p) { return ((uintptr_t)p & 15) == 0; }

Test(arena, serves_small_allocations_from_the_callers_block) {
  _Alignas(16) uint8_t block[256];
  crpc_arena a;
  void *p, *q;

  crpc_arena_init(&a, block, sizeof(block));
  p = crpc_arena_alloc(&a, 10);
  q = crpc_arena_alloc(&a, 10);
  cr_assert(p >= (void *)block && p < (void *)(block + sizeof(block)));
  cr_assert(q >= (void *)block && q < (void *)(block + sizeof(block)));
  cr_assert_neq(p, q);
  cr_assert_null(a.chunks);
  crpc_arena_free(&a);
}

Test(arena, aligns_every_allocation_to_16_bytes_even_in_a_misaligned_block) {
  _Alignas(16) uint8_t block[256];
  crpc_arena a;
  size_t i;

  crpc_arena_init(&a, block + 3, sizeof(block) - 3);
  for (i = 1; i < 200; i += 7) {
    void *p = crpc_arena_alloc(&a, i);

    cr_assert_not_null(p);
    cr_assert(is_aligned(p), "size %zu", i);
    memset(p, 0xab, i);
  }
  crpc_arena_free(&a);
}

Test(arena, gives_empty_allocations_distinct_addresses) {
  _Alignas(16) uint8_t block[64];
  crpc_arena a;

  crpc_arena_init(&a, block, sizeof(block));
  void *p = crpc_arena_alloc(&a, 0), *q = crpc_arena_alloc(&a, 0);
  cr_assert_not_null(p);
  cr_assert_not_null(q);
  cr_assert_neq(p, q);
  /* Past the block too. */
  for (int i = 0; i < 8; i++)
    q = crpc_arena_alloc(&a, 0);
  cr_assert_not_null(q);
  cr_assert_not_null(a.chunks);
  crpc_arena_free(&a);
}

Test(arena, refuses_sizes_that_cannot_be_rounded_up) {
  _Alignas(16) uint8_t block[64];
  crpc_arena a;

  crpc_arena_init(&a, block, sizeof(block));
  cr_assert_null(crpc_arena_alloc(&a, SIZE_MAX));
  cr_assert_null(crpc_arena_alloc(&a, SIZE_MAX - 7));
  /* The block is still there for the rest. */
  void *p = crpc_arena_alloc(&a, 48);
  cr_assert(p >= (void *)block && p < (void *)(block + sizeof(block)));
  crpc_arena_free(&a);
}

Test(arena, works_without_a_first_block) {
  crpc_arena a;
  char *s;

  crpc_arena_init(&a, NULL, 0);
  s = crpc_arena_strdup(&a, "hello");
  cr_assert_str_eq(s, "hello");
  cr_assert(is_aligned(s));
  crpc_arena_free(&a);
}

Test(arena, gives_a_large_request_its_own_chunk_and_keeps_the_current_one) {
  crpc_arena a;
  uint8_t *small, *big, *after;

  crpc_arena_init(&a, NULL, 0);
  small = crpc_arena_alloc(&a, 16);
  big = crpc_arena_alloc(&a, 100000);
  cr_assert_not_null(big);
  memset(big, 1, 100000);
  after = crpc_arena_alloc(&a, 16);
  /* The next small allocation still comes from the first chunk. */
  cr_assert_eq(after, small + 16);
  crpc_arena_free(&a);
}

Test(arena, grows_over_many_allocations) {
  crpc_arena a;
  int i;

  crpc_arena_init(&a, NULL, 0);
  for (i = 0; i < 10000; i++) {
    int *p = crpc_arena_alloc(&a, sizeof(int));

    cr_assert_not_null(p);
    *p = i;
  }
  crpc_arena_free(&a);
}

Test(arena, memdup_copies_bytes) {
  crpc_arena a;
  static const uint8_t data[] = {0, 1, 2, 0, 4};
  uint8_t *copy;

  crpc_arena_init(&a, NULL, 0);
  copy = crpc_arena_memdup(&a, data, sizeof(data));
  cr_assert_arr_eq(copy, data, sizeof(data));
  cr_assert_not_null(crpc_arena_memdup(&a, NULL, 0));
  crpc_arena_free(&a);
}

Test(arena, reset_starts_over_in_the_callers_block) {
  _Alignas(16) uint8_t block[64];
  crpc_arena a;
  void *first;

  crpc_arena_init(&a, block, sizeof(block));
  first = crpc_arena_alloc(&a, 32);
  crpc_arena_alloc(&a, 4000);
  cr_assert_not_null(a.chunks);
  crpc_arena_reset(&a);
  cr_assert_null(a.chunks);
  cr_assert_eq(crpc_arena_alloc(&a, 32), first);
  crpc_arena_free(&a);
}

Test(arena, returns_null_when_out_of_memory) {
  crpc_arena a;

  crpc_arena_init(&a, NULL, 0);
  crpc_mem_fail_after(0);
  cr_assert_null(crpc_arena_alloc(&a, 8));
  cr_assert_null(crpc_arena_alloc(&a, 1 << 20));
  crpc_mem_fail_after(-1);
  cr_assert_null(crpc_arena_alloc(&a, SIZE_MAX - 8));
  cr_assert_not_null(crpc_arena_alloc(&a, 8));
  crpc_arena_free(&a);
}

Test(arena, provides_a_protobuf_c_allocator) {
  crpc_arena a;
  ProtobufCAllocator pb;
  void *p;

  crpc_arena_init(&a, NULL, 0);
  crpc_arena_pb_allocator(&a, &pb);
  p = pb.alloc(pb.allocator_data, 100);
  cr_assert_not_null(p);
  cr_assert(is_aligned(p));
  pb.free(pb.allocator_data, p); /* a no-op; the arena frees it */
  crpc_arena_free(&a);
}
