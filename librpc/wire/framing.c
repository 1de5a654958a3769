/* wire/framing.c: Length-Prefixed-Message (PROTOCOL-HTTP2.md "Requests"). */
#include "wire/framing.h"

#include <string.h>

#include "base/buf.h"
#include "wire/status.h"

/* A reassembly buffer bigger than this is freed rather than kept. */
#define KEEP_PARTIAL_CAP (16 * 1024)

void crpc_framing_write_header(uint8_t out[CRPC_FRAME_HEADER_LEN],
                               bool compressed, uint32_t len) {
  out[0] = compressed ? 1 : 0;
  out[1] = (uint8_t)(len >> 24);
  out[2] = (uint8_t)(len >> 16);
  out[3] = (uint8_t)(len >> 8);
  out[4] = (uint8_t)len;
}

void crpc_deframer_init(crpc_deframer *d, size_t max_len) {
  memset(d, 0, sizeof(*d));
  d->max_len = max_len;
  crpc_bytes_init(&d->partial);
  d->failed = CRPC_OK;
}

void crpc_deframer_free(crpc_deframer *d) { crpc_bytes_free(&d->partial); }

bool crpc_deframer_is_idle(const crpc_deframer *d) {
  return d->header_len == 0;
}

static crpc_code fail(crpc_deframer *d, crpc_code code) {
  d->failed = code;
  crpc_bytes_free(&d->partial);
  return code;
}

/* Parses a complete prefix, in d->header or still in the peer's bytes. */
static crpc_code parse_header(crpc_deframer *d, const uint8_t *prefix,
                              crpc_status *why) {
  crpc_buf b;
  uint8_t flag;

  crpc_buf_init(&b, prefix, CRPC_FRAME_HEADER_LEN);
  crpc_buf_fetch_u8(&b, &flag);
  crpc_buf_fetch_be32(&b, &d->msg_len);
  /* PROTOCOL-HTTP2.md: Compressed-Flag is 0 or 1; nothing else is defined. */
  if (flag > 1)
    return crpc_status_set(why, CRPC_INTERNAL,
                           "invalid compressed flag %u in message prefix",
                           (unsigned)flag);
  d->compressed = flag == 1;
  /* grpc's wording, so users recognise the error across implementations. */
  if (d->msg_len > d->max_len)
    return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED,
                           "received message larger than max (%lu vs. %zu)",
                           (unsigned long)d->msg_len, d->max_len);
  return CRPC_OK;
}

crpc_code crpc_deframer_feed(crpc_deframer *d, const uint8_t *data, size_t len,
                             crpc_deframer_msg_cb *cb, void *user_data,
                             crpc_status *why) {
  crpc_buf in;
  const uint8_t *p = NULL;
  size_t n;
  crpc_code rc;

  if (d->failed != CRPC_OK)
    return crpc_status_set(why, d->failed, "message stream already failed");
  crpc_buf_init(&in, data, len);
  for (;;) {
    if (d->header_len == 0 &&
        crpc_buf_fetch_bytes(&in, CRPC_FRAME_HEADER_LEN, &p)) {
      /* A whole prefix, the usual case: parsed in place. */
      d->header_len = CRPC_FRAME_HEADER_LEN;
      rc = parse_header(d, p, why);
      if (rc != CRPC_OK)
        return fail(d, rc);
    } else if (d->header_len < CRPC_FRAME_HEADER_LEN) {
      if (crpc_buf_remaining(&in) == 0)
        return CRPC_OK;
      /* A split prefix is put back together aside. */
      n = CRPC_FRAME_HEADER_LEN - d->header_len;
      if (n > crpc_buf_remaining(&in))
        n = crpc_buf_remaining(&in);
      crpc_buf_fetch_bytes(&in, n, &p);
      memcpy(d->header + d->header_len, p, n);
      d->header_len += n;
      if (d->header_len < CRPC_FRAME_HEADER_LEN)
        return CRPC_OK;
      rc = parse_header(d, d->header, why);
      if (rc != CRPC_OK)
        return fail(d, rc);
    }

    if (d->partial.len == 0 && crpc_buf_fetch_bytes(&in, d->msg_len, &p)) {
      /* The whole body is in this chunk: deliver it in place. */
      rc = cb(user_data, p, d->msg_len, d->compressed);
    } else {
      /*
       * Nothing buffered until body bytes arrive, so a body that comes
       * whole in the next chunk is still delivered in place.
       */
      if (crpc_buf_remaining(&in) == 0)
        return CRPC_OK;
      n = d->msg_len - d->partial.len;
      if (n > crpc_buf_remaining(&in))
        n = crpc_buf_remaining(&in);
      crpc_buf_fetch_bytes(&in, n, &p);
      /* Reserve the whole body at once: one allocation per split message. */
      if (crpc_bytes_reserve(&d->partial, d->msg_len - d->partial.len) !=
          CRPC_OK)
        return fail(d, crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED,
                                       "out of memory reassembling message"));
      crpc_bytes_append(&d->partial, p, n);
      if (d->partial.len < d->msg_len)
        return CRPC_OK;
      rc = cb(user_data, d->partial.data, d->partial.len, d->compressed);
      if (d->partial.cap > KEEP_PARTIAL_CAP)
        crpc_bytes_free(&d->partial);
      else
        crpc_bytes_clear(&d->partial);
    }
    d->header_len = 0;
    if (rc != CRPC_OK)
      return fail(d, rc);
  }
}
