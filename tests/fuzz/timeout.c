/*
 * tests/fuzz/timeout.c: the grpc-timeout header (wire/timeout.h).
 *
 * The input is a header value. crpc_timeout_parse must accept exactly
 * 1-8 digits and a unit, rounding up to whole milliseconds as a plain
 * reference computes; the first 8 bytes, read as a timeout in
 * milliseconds, must format to a value that parses back no shorter.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "wire/timeout.h"

/* The reference: -1 when |v| is not a valid value. */
static int64_t reference(const char *v, size_t len) {
  int64_t n = 0;

  if (len < 2 || len > 9)
    return -1;
  for (size_t i = 0; i + 1 < len; i++) {
    if (v[i] < '0' || v[i] > '9')
      return -1;
    n = n * 10 + (v[i] - '0');
  }
  switch (v[len - 1]) {
  case 'H':
    return n * 3600000;
  case 'M':
    return n * 60000;
  case 'S':
    return n * 1000;
  case 'm':
    return n;
  case 'u':
    return (n + 999) / 1000;
  case 'n':
    return (n + 999999) / 1000000;
  default:
    return -1;
  }
}

static void check_format(int64_t timeout_ms) {
  char out[CRPC_TIMEOUT_MAX_LEN];
  int64_t back = -1;
  size_t len = crpc_timeout_format(timeout_ms, out);

  FUZZ_CHECK(len > 0 && len < CRPC_TIMEOUT_MAX_LEN && out[len] == '\0');
  FUZZ_CHECK(strlen(out) == len);
  FUZZ_CHECK(crpc_timeout_parse(out, len, &back));
  FUZZ_CHECK(back == reference(out, len));
  if (timeout_ms <= 0)
    FUZZ_CHECK(back <= 1); /* "1n": already expired */
  else if (timeout_ms <= 99999999LL * 3600000)
    FUZZ_CHECK(back >= timeout_ms); /* never shortened */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *v = malloc(size ? size : 1); /* exact size: no NUL to lean on */
  int64_t got = -7, want;

  FUZZ_CHECK(v != NULL);
  memcpy(v, data, size);
  want = reference(v, size);
  if (crpc_timeout_parse(v, size, &got))
    FUZZ_CHECK(got == want);
  else
    FUZZ_CHECK(want == -1);
  free(v);

  if (size >= 8) {
    uint64_t ms = 0;
    for (int i = 0; i < 8; i++)
      ms = ms << 8 | data[i];
    check_format((int64_t)ms);
  }
  return 0;
}
