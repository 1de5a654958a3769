/*
 * crpc/common.h: export macro, the one status type and the clock.
 *
 * Every fallible crpc function returns a crpc_code. Calls can also fill a
 * caller-declared crpc_status (code plus message), which needs no freeing.
 */
#ifndef CRPC_COMMON_H
#define CRPC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(BUILDING_CRPC)
#define CRPC_API __attribute__((visibility("default")))
#else
#define CRPC_API
#endif

#if defined(__GNUC__)
#define CRPC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CRPC_PRINTF(fmt, args)
#endif

/*
 * gRPC status codes with their wire values (grpc doc/statuscodes.md). The
 * library itself produces only the codes that document lists for libraries:
 * CANCELLED, UNKNOWN, INVALID_ARGUMENT (setup functions), DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL and UNAVAILABLE. Any other code
 * on a call came from the peer or from a handler.
 */
typedef enum crpc_code {
  CRPC_OK = 0,
  CRPC_CANCELLED = 1,
  CRPC_UNKNOWN = 2,
  CRPC_INVALID_ARGUMENT = 3,
  CRPC_DEADLINE_EXCEEDED = 4,
  CRPC_NOT_FOUND = 5,
  CRPC_ALREADY_EXISTS = 6,
  CRPC_PERMISSION_DENIED = 7,
  CRPC_RESOURCE_EXHAUSTED = 8,
  CRPC_FAILED_PRECONDITION = 9,
  CRPC_ABORTED = 10,
  CRPC_OUT_OF_RANGE = 11,
  CRPC_UNIMPLEMENTED = 12,
  CRPC_INTERNAL = 13,
  CRPC_UNAVAILABLE = 14,
  CRPC_DATA_LOSS = 15,
  CRPC_UNAUTHENTICATED = 16
} crpc_code;

/* Longest status message kept, including the terminating NUL. */
#define CRPC_STATUS_MESSAGE_MAX 256

/*
 * The outcome of a call: code and a human-readable message (UTF-8, possibly
 * truncated to fit). Declare one on the stack and pass its address.
 */
typedef struct crpc_status {
  crpc_code code;
  char message[CRPC_STATUS_MESSAGE_MAX];
} crpc_status;

/* "OK", "CANCELLED", ... "UNAUTHENTICATED"; "UNKNOWN" for values off the list. */
CRPC_API const char *crpc_code_name(crpc_code code);

/*
 * Sets |status| (if not NULL) to |code| and a printf-style message, and
 * returns |code|, so that a failure path reads `return crpc_status_set(...)`.
 */
CRPC_API crpc_code crpc_status_set(crpc_status *status, crpc_code code,
                                   const char *fmt, ...) CRPC_PRINTF(3, 4);

/* A deadline that never expires. */
#define CRPC_DEADLINE_NONE INT64_MAX
/* A duration option that never runs out: the feature is off. */
#define CRPC_DURATION_INFINITE INT64_MAX

/*
 * Milliseconds on the monotonic clock that every crpc deadline uses. A
 * deadline is absolute (crpc_now_ms() + timeout_ms); a timeout is relative.
 */
CRPC_API int64_t crpc_now_ms(void);

#ifdef __cplusplus
}
#endif

#endif /* CRPC_COMMON_H */
