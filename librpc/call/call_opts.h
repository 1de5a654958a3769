/*
 * call/call_opts.h: the contents of crpc_call_opts, for the call code.
 */
#ifndef CRPC_CALL_OPTS_H
#define CRPC_CALL_OPTS_H

#include "call/cancel_scope.h"
#include "crpc/call.h"
#include "wire/compress.h"

struct crpc_call_opts {
  int64_t timeout_ms; /* < 0: none */
  int64_t deadline;   /* CRPC_DEADLINE_NONE: none */
  size_t max_recv_len; /* 0: the channel's */
  crpc_metadata *metadata; /* NULL until the first add */
  crpc_metadata *capture_headers;  /* borrowed */
  crpc_metadata *capture_trailers; /* borrowed */
  crpc_encoding compression;       /* for request messages */
  crpc_cancel_scope *parent_scope; /* cancels calls made with these opts */
  int wait_for_ready;              /* -1: as the service config says */
};

/* The absolute deadline a call started now gets from |opts| (NULL ok). */
int64_t crpc_call_opts_deadline(const crpc_call_opts *opts, int64_t now);

/* Resets |opts| to the defaults, keeping its allocations. */
void crpc_call_opts_init(crpc_call_opts *opts);

#endif /* CRPC_CALL_OPTS_H */
