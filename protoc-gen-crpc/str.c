/*
 * protoc-gen-crpc/str.c: allocations that live until the plugin exits.
 */
#include "str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every block handed out, so that exit can free them (leak checkers run the
 * plugin under protoc in the tests). */
static void **blocks;
static size_t block_count;
static size_t block_cap;

static void out_of_memory(void) {
  fputs("protoc-gen-crpc: out of memory\n", stderr);
  exit(1);
}

void *crpc_str_alloc(size_t len) {
  void *p;

  if (block_count == block_cap) {
    size_t cap = block_cap ? 2 * block_cap : 256;
    void **grown = realloc(blocks, cap * sizeof *grown);

    if (grown == NULL)
      out_of_memory();
    blocks = grown;
    block_cap = cap;
  }
  p = calloc(1, len ? len : 1);
  if (p == NULL)
    out_of_memory();
  blocks[block_count++] = p;
  return p;
}

char *crpc_str_dup(const char *s) {
  size_t len = strlen(s);
  char *copy = crpc_str_alloc(len + 1);

  memcpy(copy, s, len);
  return copy;
}

char *crpc_str_vprintf(const char *fmt, va_list ap) {
  va_list again;
  int len;
  char *s;

  va_copy(again, ap);
  len = vsnprintf(NULL, 0, fmt, ap);
  if (len < 0)
    out_of_memory();
  s = crpc_str_alloc((size_t)len + 1);
  vsnprintf(s, (size_t)len + 1, fmt, again);
  va_end(again);
  return s;
}

char *crpc_str_printf(const char *fmt, ...) {
  va_list ap;
  char *s;

  va_start(ap, fmt);
  s = crpc_str_vprintf(fmt, ap);
  va_end(ap);
  return s;
}

void crpc_str_free_all(void) {
  for (size_t i = 0; i < block_count; i++)
    free(blocks[i]);
  free(blocks);
  blocks = NULL;
  block_count = block_cap = 0;
}
