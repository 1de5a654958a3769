/* wire/status.c: status codes, names and messages. */
#include "wire/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const code_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

#define CODE_COUNT (sizeof(code_names) / sizeof(code_names[0]))

CRPC_API const char *crpc_code_name(crpc_code code) {
  if ((unsigned)code >= CODE_COUNT)
    return "UNKNOWN";
  return code_names[code];
}

/*
 * How many of the first |len| bytes of |s| to keep so that a cut after them
 * does not split a UTF-8 sequence. Only the tail is inspected: a complete
 * sequence is at most 4 bytes.
 */
static size_t utf8_cut(const char *s, size_t len) {
  size_t i = len, need;
  unsigned char c;

  /* Walk back over up to 3 continuation bytes to the lead byte. */
  while (i > 0 && len - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
    i--;
  if (i == 0)
    return len;
  c = (unsigned char)s[i - 1];
  if (c < 0x80)
    return len; /* ASCII: the tail was stray continuation bytes, keep them */
  need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  return len - (i - 1) >= need ? len : i - 1;
}

void crpc_status_set_raw(crpc_status *st, crpc_code code, const char *msg,
                         size_t len) {
  if (st == NULL)
    return;
  st->code = code;
  if (len > CRPC_STATUS_MESSAGE_MAX - 1)
    len = utf8_cut(msg, CRPC_STATUS_MESSAGE_MAX - 1);
  /* memmove: |msg| may point into st->message itself. */
  memmove(st->message, msg, len);
  st->message[len] = '\0';
}

CRPC_API crpc_code crpc_status_set(crpc_status *status, crpc_code code,
                                   const char *fmt, ...) {
  /* Formatted aside because an argument may be status->message itself. */
  char buf[CRPC_STATUS_MESSAGE_MAX];
  va_list ap;
  int n;

  if (status == NULL)
    return code;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  if ((size_t)n >= sizeof(buf)) {
    crpc_status_set_raw(status, code, buf, utf8_cut(buf, sizeof(buf) - 1));
    return code;
  }
  crpc_status_set_raw(status, code, buf, (size_t)n);
  return code;
}

bool crpc_status_parse_code(const char *v, size_t len, crpc_code *out) {
  unsigned value = 0;
  size_t i;

  if (len == 0)
    return false;
  for (i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9')
      return false;
    /* Saturate: any value past 16 is UNKNOWN, however long. */
    if (value <= CRPC_UNAUTHENTICATED)
      value = value * 10 + (unsigned)(v[i] - '0');
  }
  *out = value <= CRPC_UNAUTHENTICATED ? (crpc_code)value : CRPC_UNKNOWN;
  return true;
}

crpc_code crpc_status_from_http(int http_status) {
  /* grpc doc/http-grpc-status-mapping.md */
  switch (http_status) {
  case 400:
    return CRPC_INTERNAL;
  case 401:
    return CRPC_UNAUTHENTICATED;
  case 403:
    return CRPC_PERMISSION_DENIED;
  case 404:
    return CRPC_UNIMPLEMENTED;
  case 429:
  case 502:
  case 503:
  case 504:
    return CRPC_UNAVAILABLE;
  default:
    return CRPC_UNKNOWN;
  }
}

crpc_code crpc_status_from_h2_error(uint32_t h2_error) {
  /*
   * PROTOCOL-HTTP2.md "Errors"; numeric values from RFC 9113 7 so that
   * wire/ stays free of nghttp2.
   */
  switch (h2_error) {
  case 0x7: /* REFUSED_STREAM: nothing was processed, safe to retry */
    return CRPC_UNAVAILABLE;
  case 0x8: /* CANCEL */
    return CRPC_CANCELLED;
  case 0xb: /* ENHANCE_YOUR_CALM */
    return CRPC_RESOURCE_EXHAUSTED;
  case 0xc: /* INADEQUATE_SECURITY */
    return CRPC_PERMISSION_DENIED;
  default:
    /*
     * NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR,
     * SETTINGS_TIMEOUT, STREAM_CLOSED, FRAME_SIZE_ERROR, COMPRESSION_ERROR,
     * CONNECT_ERROR, HTTP_1_1_REQUIRED and codes unknown to us.
     */
    return CRPC_INTERNAL;
  }
}
