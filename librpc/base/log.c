/* base/log.c: one-line diagnostics on stderr. */
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static pthread_once_t threshold_once = PTHREAD_ONCE_INIT;
static crpc_log_level threshold = CRPC_LOG_WARN;

static void read_threshold(void) {
  const char *env = getenv("CRPC_LOG");
  size_t i;

  if (env == NULL)
    return;
  for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
    if (strcmp(env, level_names[i]) == 0)
      threshold = (crpc_log_level)i;
}

bool crpc_log_enabled(crpc_log_level level) {
  pthread_once(&threshold_once, read_threshold);
  return level <= threshold;
}

void crpc_log(crpc_log_level level, const char *fmt, ...) {
  char line[1024];
  size_t len;
  int n;
  va_list ap;
  int saved_errno = errno; /* callers may log between a failure and errno */

  if (!crpc_log_enabled(level) || (unsigned)level > CRPC_LOG_DEBUG)
    return;
  n = snprintf(line, sizeof(line), "crpc: %s: ", level_names[level]);
  len = (size_t)n;
  va_start(ap, fmt);
  n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
  va_end(ap);
  /* A long message is cut, keeping room for the newline. */
  if (n > 0)
    len += (size_t)n < sizeof(line) - len ? (size_t)n : sizeof(line) - len - 1;
  line[len++] = '\n';
  /* Logging is best effort: a failed write to stderr has no better place. */
  if (write(STDERR_FILENO, line, len) < 0) {
  }
  errno = saved_errno;
}
