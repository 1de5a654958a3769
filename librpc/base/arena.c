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

void crpc_arena_init(crpc_arena *a, void *first_block, size_t first_len) {
  a->first = first_block;
  a->first_len = first_block ? first_len : 0;
  a->pos = a->first;
  a->end = a->first ? a->first + a->first_len : NULL;
  a->chunks = NULL;
  a->next_chunk_len = FIRST_CHUNK_LEN;
}

/* Carves |n| bytes from [pos, end) if they fit once aligned. */
static void *bump(uint8_t **pos, uint8_t *end, size_t n) {
  uintptr_t p, e = (uintptr_t)end;

  if (*pos == NULL)
    return NULL;
  /* The caller's block need not be aligned, so align the address itself. */
  p = ((uintptr_t)*pos + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
  if (p > e || e - p < n)
    return NULL;
  *pos = (uint8_t *)(p + n);
  return (void *)p;
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

static uint8_t *chunk_data(struct crpc_arena_chunk *c) {
  return (uint8_t *)c + CHUNK_HEADER_LEN;
}

void *crpc_arena_alloc(crpc_arena *a, size_t n) {
  struct crpc_arena_chunk *c;
  uint8_t *pos;
  void *p;

  /* Distinct allocations get distinct addresses, even empty ones. */
  if (n == 0)
    n = 1;
  p = bump(&a->pos, a->end, n);
  if (p != NULL)
    return p;

  if (n > a->next_chunk_len / 2) {
    /*
     * A big request gets a chunk of its own and the current block stays
     * current, so its free space is not abandoned.
     */
    c = new_chunk(a, n);
    if (c == NULL)
      return NULL;
    pos = chunk_data(c);
    return bump(&pos, pos + c->len, n);
  }

  c = new_chunk(a, a->next_chunk_len);
  if (c == NULL)
    return NULL;
  if (a->next_chunk_len < MAX_CHUNK_LEN)
    a->next_chunk_len *= 2;
  a->pos = chunk_data(c);
  a->end = a->pos + c->len;
  return bump(&a->pos, a->end, n);
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
  a->end = a->first ? a->first + a->first_len : NULL;
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
