/* base/arena.c: bump allocator for per-call memory. */
#include "base/arena.h"

#include <string.h>

#include "base/mem.h"

#define ALIGN 16
/* Small enough that a unary call wastes little, large enough to be rare. */
#define FIRST_CHUNK_LEN 1024
/* Doubling stops here so a long stream does not reserve huge chunks. */
#define MAX_CHUNK_LEN (64 * 1024)

struct crpc_arena_chunk {
  struct crpc_arena_chunk *next;
  size_t len; /* usable bytes after the header */
};

/* The header, padded so that chunk data starts 16-byte aligned. */
#define CHUNK_HEADER_LEN                                                       \
  ((sizeof(struct crpc_arena_chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

/* |p| rounded up to ALIGN. */
static uint8_t *align_up(uint8_t *p) {
  return (uint8_t *)(((uintptr_t)p + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
}

void crpc_arena_init(crpc_arena *a, void *first_block, size_t first_len) {
  /* The caller's block need not be aligned: start at its first aligned
   * byte. */
  uint8_t *first = first_block != NULL ? align_up(first_block) : NULL;
  size_t skip = first != NULL ? (size_t)(first - (uint8_t *)first_block) : 0;
  a->first = first_len > skip ? first : NULL;
  a->first_len = first_len > skip ? first_len - skip : 0;
  a->chunks = NULL;
  crpc_arena_free(a);
}

static struct crpc_arena_chunk *new_chunk(crpc_arena *a, size_t len) {
  struct crpc_arena_chunk *c;

  if (len > SIZE_MAX - CHUNK_HEADER_LEN - ALIGN)
    return NULL;
  /* ALIGN extra bytes in case malloc returns less than 16-byte alignment. */
  c = crpc_mem_malloc(CHUNK_HEADER_LEN + len + ALIGN);
  if (c == NULL)
    return NULL;
  c->len = len + ALIGN;
  c->next = a->chunks;
  a->chunks = c;
  return c;
}

/* The aligned start of |c|'s data and, in *left, the bytes from there. */
static uint8_t *chunk_data(struct crpc_arena_chunk *c, size_t *left) {
  uint8_t *start = (uint8_t *)c + CHUNK_HEADER_LEN, *p = align_up(start);
  *left = c->len - (size_t)(p - start);
  return p;
}

void *crpc_arena_alloc_slow(crpc_arena *a, size_t n) {
  struct crpc_arena_chunk *c;
  size_t left;
  uint8_t *p;

  /* Distinct allocations get distinct addresses, even empty ones. */
  if (n == 0)
    n = 1;
  if (n > SIZE_MAX - ALIGN)
    return NULL;
  n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
  if (n > a->next_chunk_len / 2) {
    /*
     * A big request gets a chunk of its own and the current block stays
     * current, so its free space is not abandoned.
     */
    c = new_chunk(a, n);
    return c != NULL ? chunk_data(c, &left) : NULL;
  }

  c = new_chunk(a, a->next_chunk_len);
  if (c == NULL)
    return NULL;
  if (a->next_chunk_len < MAX_CHUNK_LEN)
    a->next_chunk_len *= 2;
  p = chunk_data(c, &left);
  a->pos = p + n;
  a->left = left - n;
  return p;
}

void *crpc_arena_memdup(crpc_arena *a, const void *p, size_t n) {
  void *copy = crpc_arena_alloc(a, n);

  if (copy != NULL && n > 0)
    memcpy(copy, p, n);
  return copy;
}

char *crpc_arena_strdup(crpc_arena *a, const char *s) {
  return crpc_arena_memdup(a, s, strlen(s) + 1);
}

void crpc_arena_free(crpc_arena *a) {
  struct crpc_arena_chunk *c, *next;

  for (c = a->chunks; c != NULL; c = next) {
    next = c->next;
    crpc_mem_free(c);
  }
  a->chunks = NULL;
  a->pos = a->first;
  a->left = a->first_len;
  a->next_chunk_len = FIRST_CHUNK_LEN;
}

void crpc_arena_reset(crpc_arena *a) { crpc_arena_free(a); }

static void *pb_alloc(void *allocator_data, size_t size) {
  return crpc_arena_alloc(allocator_data, size);
}

/* Arena memory goes all at once with the arena. */
static void pb_free(void *allocator_data, void *pointer) {}

void crpc_arena_pb_allocator(crpc_arena *a, ProtobufCAllocator *out) {
  out->alloc = pb_alloc;
  out->free = pb_free;
  out->allocator_data = a;
}
