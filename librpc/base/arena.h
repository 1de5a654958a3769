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
  uint8_t *pos;                    /* next free byte of the current block */
  uint8_t *end;                    /* end of the current block */
  uint8_t *first;                  /* caller-provided block, may be NULL */
  size_t first_len;                /* its size */
  struct crpc_arena_chunk *chunks; /* heap chunks, newest first */
  size_t next_chunk_len;           /* size of the next regular chunk */
} crpc_arena;

/*
 * Makes |a| empty. |first_block| (|first_len| bytes, may be NULL/0) is
 * borrowed storage used before any heap chunk; it must outlive the arena.
 */
void crpc_arena_init(crpc_arena *a, void *first_block, size_t first_len);

/* |n| bytes, 16-byte aligned, uninitialized; NULL when out of memory. */
CRPC_INTERNAL_API void *crpc_arena_alloc(crpc_arena *a, size_t n);

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
