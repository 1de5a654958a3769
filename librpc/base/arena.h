/*
 * base/arena.h: a bump allocator for memory that lives as long as one call.
 *
 * Allocations are 16-byte aligned and never freed one by one: reset or free
 * the arena to release them all. The first block can be storage the owner
 * provides (an array inside the call object), so a small call allocates
 * nothing from the heap. Further chunks grow geometrically; a request larger
 * than the next chunk gets a chunk of its own. Not thread-safe.
 */
#ifndef CRPC_BASE_ARENA_H
#define CRPC_BASE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "base/export.h"

struct crpc_arena_chunk;

/* The struct is visible so it can be embedded; its fields are private. */
typedef struct crpc_arena {
  uint8_t *pos;                    /* next free byte, 16-byte aligned */
  size_t left;                     /* free bytes of the current block */
  uint8_t *first;                  /* caller's block, aligned; may be NULL */
  size_t first_len;                /* its size from there */
  struct crpc_arena_chunk *chunks; /* heap chunks, newest first */
  size_t next_chunk_len;           /* size of the next regular chunk */
} crpc_arena;

/*
 * Makes |a| empty. |first_block| (|first_len| bytes, may be NULL/0) is
 * borrowed storage used before any heap chunk; it must outlive the arena.
 */
void crpc_arena_init(crpc_arena *a, void *first_block, size_t first_len);

/* What crpc_arena_alloc() does when the current block is full. */
CRPC_INTERNAL_API void *crpc_arena_alloc_slow(crpc_arena *a, size_t n);

/*
 * |n| bytes, 16-byte aligned, uninitialized; NULL when out of memory.
 * Inline, since most calls take a few bytes from the current block: every
 * allocation takes a multiple of 16 bytes (at least 16, so that empty ones
 * differ too), which keeps pos aligned.
 */
static inline void *crpc_arena_alloc(crpc_arena *a, size_t n) {
  if (n != 0 && n <= a->left) { /* so n + 15 cannot overflow */
    size_t len = (n + 15) & ~(size_t)15;
    if (len <= a->left) {
      void *p = a->pos;
      a->pos += len;
      a->left -= len;
      return p;
    }
  }
  return crpc_arena_alloc_slow(a, n);
}

/* Copies into the arena; NULL when out of memory. */
CRPC_INTERNAL_API char *crpc_arena_strdup(crpc_arena *a, const char *s);
void *crpc_arena_memdup(crpc_arena *a, const void *p, size_t n);

/*
 * Releases every allocation: frees the heap chunks and starts over in the
 * caller's block. The arena stays usable.
 */
void crpc_arena_reset(crpc_arena *a);

/* Frees the heap chunks. The arena may be reused after crpc_arena_init. */
void crpc_arena_free(crpc_arena *a);

/*
 * Fills |out| with a protobuf-c allocator drawing from |a| (free is a no-op),
 * so protobuf_c_message_unpack(desc, out, len, data) decodes into the arena
 * and the message must not be passed to protobuf_c_message_free_unpacked.
 */
void crpc_arena_pb_allocator(crpc_arena *a, ProtobufCAllocator *out);

#endif /* CRPC_BASE_ARENA_H */
