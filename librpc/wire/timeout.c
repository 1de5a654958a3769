/* wire/timeout.c: grpc-timeout values (PROTOCOL-HTTP2.md "Requests"). */
#include "wire/timeout.h"

#include <stdio.h>

/* PROTOCOL-HTTP2.md: TimeoutValue is {positive integer as ASCII, at most 8}. */
#define MAX_DIGITS 8
#define MAX_VALUE 99999999

bool crpc_timeout_parse(const char *v, size_t len, int64_t *timeout_ms) {
  int64_t value = 0;
  size_t i;

  if (len < 2 || len > MAX_DIGITS + 1)
    return false;
  for (i = 0; i < len - 1; i++) {
    if (v[i] < '0' || v[i] > '9')
      return false;
    value = value * 10 + (v[i] - '0');
  }
  /* At most 99999999 H = 3.6e14 ms: no overflow is possible in int64. */
  switch (v[len - 1]) {
  case 'H':
    *timeout_ms = value * 3600000;
    return true;
  case 'M':
    *timeout_ms = value * 60000;
    return true;
  case 'S':
    *timeout_ms = value * 1000;
    return true;
  case 'm':
    *timeout_ms = value;
    return true;
  case 'u':
    *timeout_ms = (value + 999) / 1000;
    return true;
  case 'n':
    *timeout_ms = (value + 999999) / 1000000;
    return true;
  default:
    return false;
  }
}

size_t crpc_timeout_format(int64_t timeout_ms, char out[CRPC_TIMEOUT_MAX_LEN]) {
  static const struct {
    int64_t ms;
    char unit;
  } units[] = {{1, 'm'}, {1000, 'S'}, {60000, 'M'}, {3600000, 'H'}};
  int64_t value = MAX_VALUE;
  char unit = 'H';
  size_t i;

  if (timeout_ms <= 0) {
    value = 1;
    unit = 'n';
  } else {
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
      /* Round up: a coarser unit must not shorten the deadline. */
      int64_t v = timeout_ms / units[i].ms + (timeout_ms % units[i].ms != 0);

      if (v <= MAX_VALUE) {
        value = v;
        unit = units[i].unit;
        break;
      }
    }
  }
  return (size_t)snprintf(out, CRPC_TIMEOUT_MAX_LEN, "%lld%c", (long long)value,
                          unit);
}
