/*
 * call/headers.c: gRPC header blocks (PROTOCOL-HTTP2.md "Requests" and
 * "Responses").
 */
#include "call/headers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/bytes.h"
#include "crpc/version.h"
#include "wire/base64.h"
#include "wire/metadata.h"
#include "wire/percent.h"

const char crpc_headers_user_agent[] = "grpc-c-crpc/" CRPC_VERSION;

crpc_code crpc_headers_init(crpc_headers *h, crpc_arena *arena, size_t cap) {
  h->nv = crpc_arena_alloc(arena, cap * sizeof(*h->nv));
  h->count = 0;
  h->cap = cap;
  h->arena = arena;
  return h->nv != NULL ? CRPC_OK : CRPC_RESOURCE_EXHAUSTED;
}

void crpc_headers_add(crpc_headers *h, const char *name, const char *value,
                      size_t value_len) {
  if (h->count == h->cap)
    return; /* sized by the caller; never reached */
  crpc_h2_nv *nv = &h->nv[h->count++];
  nv->name = name;
  nv->name_len = strlen(name);
  nv->value = value;
  nv->value_len = value_len;
  /* Names are lowercase literals or metadata keys, and every string lives
   * in the call's arena or in static storage, both longer than the
   * stream: nghttp2 need not copy them. */
  nv->flags = CRPC_H2_NV_NO_COPY;
}

size_t crpc_headers_count_metadata(const crpc_metadata *md) {
  return md != NULL ? crpc_metadata_count(md) : 0;
}

crpc_code crpc_headers_add_metadata(crpc_headers *h, const crpc_metadata *md) {
  const char *key, *value;
  size_t len;
  /* Copied: |md| may belong to the application, which can free it while
   * the headers wait to be sent (or sent again, by a retry). */
  for (size_t i = 0; md != NULL && crpc_metadata_at(md, i, &key, &value, &len);
       i++) {
    char *name = crpc_arena_strdup(h->arena, key);
    if (name == NULL)
      return CRPC_RESOURCE_EXHAUSTED;
    if (crpc_metadata_key_is_binary(key, strlen(key))) {
      /* PROTOCOL-HTTP2.md: binary values are base64, sent unpadded. */
      char *enc = crpc_arena_alloc(h->arena, crpc_base64_encoded_len(len) + 1);
      if (enc == NULL)
        return CRPC_RESOURCE_EXHAUSTED;
      size_t enc_len = crpc_base64_encode((const uint8_t *)value, len, enc);
      crpc_headers_add(h, name, enc, enc_len);
    } else {
      char *copy = crpc_arena_memdup(h->arena, value, len);
      if (copy == NULL)
        return CRPC_RESOURCE_EXHAUSTED;
      crpc_headers_add(h, name, copy, len);
    }
  }
  return CRPC_OK;
}

crpc_code crpc_headers_add_status(crpc_headers *h, const crpc_status *status) {
  /* Every call sends one: no formatting for the codes gRPC defines. */
  static const char *const codes[] = {"0",  "1",  "2",  "3",  "4",  "5",
                                      "6",  "7",  "8",  "9",  "10", "11",
                                      "12", "13", "14", "15", "16"};
  unsigned c = (unsigned)status->code;
  if (c < sizeof(codes) / sizeof(codes[0])) {
    crpc_headers_add(h, "grpc-status", codes[c], strlen(codes[c]));
  } else {
    char *code = crpc_arena_alloc(h->arena, 12);
    if (code == NULL)
      return CRPC_RESOURCE_EXHAUSTED;
    int n = snprintf(code, 12, "%d", (int)status->code);
    crpc_headers_add(h, "grpc-status", code, (size_t)n);
  }
  size_t len = strlen(status->message);
  if (len == 0)
    return CRPC_OK;
  crpc_bytes enc;
  crpc_bytes_init(&enc);
  if (crpc_percent_encode(status->message, len, &enc) != CRPC_OK)
    goto fail;
  char *msg = crpc_arena_memdup(h->arena, enc.data, enc.len);
  if (msg == NULL)
    goto fail;
  crpc_headers_add(h, "grpc-message", msg, enc.len);
  crpc_bytes_free(&enc);
  return CRPC_OK;

fail:
  crpc_bytes_free(&enc);
  return CRPC_RESOURCE_EXHAUSTED;
}

bool crpc_headers_is_grpc_content_type(const char *v, size_t len) {
  /* PROTOCOL-HTTP2.md: "application/grpc" [("+proto" / "+json" / {custom})] */
  static const char base[] = "application/grpc";
  size_t n = sizeof(base) - 1;
  if (len == n && memcmp(v, base, n) == 0)
    return true; /* what nearly every client sends */
  if (len < n || strncasecmp(v, base, n) != 0)
    return false;
  return len == n || v[n] == '+' || v[n] == ';';
}
