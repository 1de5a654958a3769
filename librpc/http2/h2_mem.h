/*
 * http2/h2_mem.h: nghttp2's memory for one connection.
 *
 * Every call makes nghttp2 allocate and free the same few small blocks (the
 * stream, its outbound items, copies of header fields). glibc's per-thread
 * cache keeps only 7 blocks of a size, so with 100 calls in flight most of
 * them go through the slower general paths of malloc and free. Here freed
 * blocks of a few size classes wait on free lists for the next call; a
 * connection keeps at most CRPC_H2_MEM_CACHE_MAX bytes this way, and never
 * more than it once had in use. Larger blocks go to crpc_mem_* directly.
 *
 * A connection's session runs on one loop thread, so there is no locking.
 */
#ifndef CRPC_H2_MEM_H
#define CRPC_H2_MEM_H

#include <stddef.h>

#include <nghttp2/nghttp2.h>

/* Bytes of free blocks one connection may keep. */
#define CRPC_H2_MEM_CACHE_MAX (64 * 1024)

/* Block sizes 64, 128 ... 2048 bytes. */
#define CRPC_H2_MEM_CLASSES 6

struct crpc_h2_block;

typedef struct crpc_h2_mem {
  nghttp2_mem mem; /* for nghttp2_session_{server,client}_new3 */
  struct crpc_h2_block *free[CRPC_H2_MEM_CLASSES];
  size_t cached; /* bytes on the free lists */
} crpc_h2_mem;

/* Empty pools; |m| must not move while a session uses m->mem. */
void crpc_h2_mem_init(crpc_h2_mem *m);

/* Frees the cached blocks, after the session that used |m| was deleted. */
void crpc_h2_mem_destroy(crpc_h2_mem *m);

#endif /* CRPC_H2_MEM_H */
