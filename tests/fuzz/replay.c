/*
 * tests/fuzz/replay.c: a fuzz target's main without libFuzzer, so that
 * `make check` replays the seed corpus with any compiler.
 *
 *   tests/fuzz/<target>_replay [FILE|DIR]...
 *
 * Feeds every file named (every file of a directory, in name order) to
 * LLVMFuzzerTestOneInput once. Without arguments it replays the target's
 * committed corpus, $top_srcdir/tests/fuzz/corpus/<target>/. A crash, an
 * abort or a sanitizer report is a failure; so is an empty corpus.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=\"name\""
#endif

/* Targets without set-up leave the hook undefined. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t replayed;

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *data = NULL;
  size_t len = 0, cap = 0, got;

  if (f == NULL) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return 1;
  }
  do {
    if (len == cap) {
      cap = cap ? 2 * cap : 4096;
      data = realloc(data, cap);
      if (data == NULL) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
        fclose(f);
        return 1;
      }
    }
    got = fread(data + len, 1, cap - len, f);
    len += got;
  } while (got > 0);
  fclose(f);
  /* An exact-size copy, so ASan sees reads past the input's end. */
  uint8_t *input = malloc(len ? len : 1);
  if (input == NULL) {
    free(data);
    return 1;
  }
  memcpy(input, data, len);
  free(data);
  LLVMFuzzerTestOneInput(input, len);
  free(input);
  replayed++;
  return 0;
}

static int skip_dots(const struct dirent *e) { return e->d_name[0] != '.'; }

static int replay_path(const char *path) {
  struct stat st;
  struct dirent **names;
  char child[PATH_MAX];
  int n, status = 0;

  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return 1;
  }
  if (!S_ISDIR(st.st_mode))
    return replay_file(path);
  n = scandir(path, &names, skip_dots, alphasort);
  if (n < 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return 1;
  }
  for (int i = 0; i < n; i++) {
    snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
    if (status == 0)
      status = replay_path(child);
    free(names[i]);
  }
  free(names);
  return status;
}

int main(int argc, char **argv) {
  char corpus[PATH_MAX];
  const char *srcdir = getenv("top_srcdir");
  int status = 0;

  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  if (argc > 1) {
    for (int i = 1; i < argc && status == 0; i++)
      status = replay_path(argv[i]);
  } else {
    snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/%s",
             srcdir ? srcdir : ".", FUZZ_TARGET);
    status = replay_path(corpus);
  }
  if (status == 0 && replayed == 0) {
    fprintf(stderr, "replay: %s: no inputs\n", FUZZ_TARGET);
    status = 1;
  }
  printf("%s: replayed %zu inputs\n", FUZZ_TARGET, replayed);
  return status;
}

/* Tells targets they are replaying, for checks too slow to run per input
 * under a fuzzer (server_conn.c); libFuzzer builds leave it undefined. */
int crpc_fuzz_replaying = 1;
