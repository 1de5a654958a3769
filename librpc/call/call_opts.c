/*
 * call/call_opts.c: per-call options.
 */
#include "call/call_opts.h"

#include <string.h>

#include "base/mem.h"

void crpc_call_opts_init(crpc_call_opts *opts) {
  opts->timeout_ms = -1;
  opts->deadline = CRPC_DEADLINE_NONE;
  opts->max_recv_len = 0;
  opts->capture_headers = NULL;
  opts->capture_trailers = NULL;
  opts->compression = CRPC_ENCODING_IDENTITY;
  opts->parent_scope = NULL;
  opts->wait_for_ready = -1;
  if (opts->metadata != NULL)
    crpc_metadata_clear(opts->metadata);
}

CRPC_API crpc_code crpc_call_opts_new(crpc_call_opts **out) {
  crpc_call_opts *opts = crpc_mem_calloc(1, sizeof(*opts));
  if (opts == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  crpc_call_opts_init(opts);
  *out = opts;
  return CRPC_OK;
}

CRPC_API void crpc_call_opts_free(crpc_call_opts *opts) {
  if (opts == NULL)
    return;
  crpc_metadata_free(opts->metadata);
  crpc_mem_free(opts);
}

CRPC_API void crpc_call_opts_set_timeout_ms(crpc_call_opts *opts,
                                            int64_t timeout_ms) {
  opts->timeout_ms = timeout_ms < 0 ? 0 : timeout_ms;
}

CRPC_API void crpc_call_opts_set_deadline(crpc_call_opts *opts,
                                          int64_t deadline) {
  opts->deadline = deadline;
}

CRPC_API crpc_code crpc_call_opts_add_metadata(crpc_call_opts *opts,
                                               const char *key,
                                               const void *value,
                                               size_t value_len) {
  if (opts->metadata == NULL) {
    crpc_code code = crpc_metadata_new(&opts->metadata);
    if (code != CRPC_OK)
      return code;
  }
  return crpc_metadata_add(opts->metadata, key, value, value_len);
}

CRPC_API void crpc_call_opts_set_max_recv_len(crpc_call_opts *opts,
                                              size_t len) {
  opts->max_recv_len = len;
}

CRPC_API void crpc_call_opts_capture_metadata(crpc_call_opts *opts,
                                              crpc_metadata *headers,
                                              crpc_metadata *trailers) {
  opts->capture_headers = headers;
  opts->capture_trailers = trailers;
}

int64_t crpc_call_opts_deadline(const crpc_call_opts *opts, int64_t now) {
  if (opts == NULL)
    return CRPC_DEADLINE_NONE;
  int64_t deadline = opts->deadline;
  if (opts->timeout_ms >= 0 && now + opts->timeout_ms < deadline)
    deadline = now + opts->timeout_ms;
  return deadline;
}

CRPC_API crpc_code crpc_call_opts_set_compression(crpc_call_opts *opts,
                                                  const char *encoding) {
  crpc_encoding e = crpc_encoding_parse(encoding, strlen(encoding));
  if (e == CRPC_ENCODING_UNKNOWN)
    return CRPC_INVALID_ARGUMENT;
  opts->compression = e;
  return CRPC_OK;
}

CRPC_API void crpc_call_opts_set_wait_for_ready(crpc_call_opts *opts,
                                                bool enabled) {
  opts->wait_for_ready = enabled;
}
