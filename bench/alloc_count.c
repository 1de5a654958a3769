/*
 * bench/alloc_count.c: counts heap allocations of any program, loaded with
 * LD_PRELOAD (libcrpc_alloc_count.so, built by `make` in bench/).
 *
 *   ALLOC_COUNT_FILE=/tmp/counts LD_PRELOAD=.../libcrpc_alloc_count.so prog
 *
 * The counters live in |ALLOC_COUNT_FILE|, mapped shared, so they can be
 * read at any time and survive a process that is killed (servers stop on
 * SIGTERM, often without running exit handlers). The file holds six
 * native uint64 counters in the order of |enum slot| (allocations by kind,
 * frees, bytes requested); bench/callgrind.sh reads it with od. Without
 * ALLOC_COUNT_FILE nothing is counted.
 *
 * Each wrapper forwards to glibc's own entry points (__libc_malloc...), so
 * no dlsym() is needed, which itself allocates. operator new in libstdc++
 * calls malloc, so C++ programs are counted too.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum slot { MALLOCS, CALLOCS, REALLOCS, MEMALIGNS, FREES, BYTES, SLOTS };

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t nmemb, size_t n);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void __libc_free(void *p);

static _Atomic uint64_t *counts;

__attribute__((constructor)) static void map_counters(void) {
  const char *path = getenv("ALLOC_COUNT_FILE");
  size_t len = SLOTS * sizeof(uint64_t);
  void *p;
  int fd;

  if (path == NULL || (fd = open(path, O_RDWR | O_CREAT, 0644)) < 0)
    return;
  /* Child processes inherit the environment: they count into the same
   * file, which is what "all processes of a server" means to the kit. */
  if (ftruncate(fd, (off_t)len) == 0 &&
      (p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) !=
          MAP_FAILED)
    counts = p;
  close(fd);
}

static void count(enum slot s, size_t bytes) {
  _Atomic uint64_t *c = counts;
  if (c == NULL)
    return;
  atomic_fetch_add_explicit(&c[s], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&c[BYTES], bytes, memory_order_relaxed);
}

void *malloc(size_t n) {
  count(MALLOCS, n);
  return __libc_malloc(n);
}

void *calloc(size_t nmemb, size_t n) {
  count(CALLOCS, nmemb * n);
  return __libc_calloc(nmemb, n);
}

void *realloc(void *p, size_t n) {
  count(REALLOCS, n);
  return __libc_realloc(p, n);
}

void free(void *p) {
  if (p != NULL)
    count(FREES, 0);
  __libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n) {
  void *p;
  count(MEMALIGNS, n);
  p = __libc_memalign(align, n);
  if (p == NULL && n != 0)
    return ENOMEM;
  *out = p;
  return 0;
}

void *aligned_alloc(size_t align, size_t n) {
  count(MEMALIGNS, n);
  return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n) {
  count(MEMALIGNS, n);
  return __libc_memalign(align, n);
}
