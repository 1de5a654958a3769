/*
 * base/log.h: diagnostics on stderr.
 *
 * The threshold comes from the environment variable CRPC_LOG (error, warn,
 * info or debug; default warn), read once. Each message is one line,
 * "crpc: <level>: <message>\n", written with a single write(2) so lines
 * from different threads do not interleave.
 */
#ifndef CRPC_BASE_LOG_H
#define CRPC_BASE_LOG_H

#include <stdbool.h>

#include "crpc/common.h"

typedef enum crpc_log_level {
  CRPC_LOG_ERROR,
  CRPC_LOG_WARN,
  CRPC_LOG_INFO,
  CRPC_LOG_DEBUG
} crpc_log_level;

/* Logs a printf-style message (no trailing newline) if |level| is enabled. */
void crpc_log(crpc_log_level level, const char *fmt, ...) CRPC_PRINTF(2, 3);

/* Whether crpc_log(level, ...) would print; skips formatting costly args. */
bool crpc_log_enabled(crpc_log_level level);

#endif /* CRPC_BASE_LOG_H */
