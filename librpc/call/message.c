/*
 * call/message.c: protobuf messages in and out of gRPC frames.
 */
#include "call/message.h"

#include <string.h>

#include "base/mem.h"
#include "wire/framing.h"

static crpc_code frame_compressed(const ProtobufCMessage *msg,
                                  crpc_encoding enc, crpc_bytes *out) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  uint8_t *packed = crpc_mem_malloc(len);
  size_t start = out->len;
  crpc_code code = CRPC_RESOURCE_EXHAUSTED;
  if (packed == NULL ||
      crpc_bytes_reserve(out, CRPC_FRAME_HEADER_LEN) != CRPC_OK)
    goto done;
  protobuf_c_message_pack(msg, packed);
  out->len += CRPC_FRAME_HEADER_LEN;
  code = crpc_compress(enc, packed, len, out);
  if (code != CRPC_OK || out->len - start - CRPC_FRAME_HEADER_LEN > UINT32_MAX) {
    out->len = start;
    code = code != CRPC_OK ? code : CRPC_RESOURCE_EXHAUSTED;
    goto done;
  }
  crpc_framing_write_header(out->data + start, true,
                            (uint32_t)(out->len - start - CRPC_FRAME_HEADER_LEN));

done:
  crpc_mem_free(packed);
  return code;
}

/* The framed size of |msg| uncompressed; 0 if too big to frame. */
static size_t framed_len(const ProtobufCMessage *msg) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  return len <= UINT32_MAX ? CRPC_FRAME_HEADER_LEN + len : 0;
}

/* Writes |msg| uncompressed to the |framed| bytes at |p|. */
static void frame_plain(const ProtobufCMessage *msg, uint8_t *p,
                        size_t framed) {
  crpc_framing_write_header(p, false,
                            (uint32_t)(framed - CRPC_FRAME_HEADER_LEN));
  protobuf_c_message_pack(msg, p + CRPC_FRAME_HEADER_LEN);
}

crpc_code crpc_message_frame(const ProtobufCMessage *msg, crpc_encoding enc,
                             crpc_bytes *out) {
  if (enc != CRPC_ENCODING_IDENTITY)
    return frame_compressed(msg, enc, out);
  size_t framed = framed_len(msg);
  if (framed == 0 || crpc_bytes_reserve(out, framed) != CRPC_OK)
    return CRPC_RESOURCE_EXHAUSTED;
  frame_plain(msg, out->data + out->len, framed);
  out->len += framed;
  return CRPC_OK;
}

crpc_code crpc_message_frame_in_arena(const ProtobufCMessage *msg,
                                      crpc_arena *arena, const uint8_t **out,
                                      size_t *len) {
  size_t framed = framed_len(msg);
  uint8_t *p = framed != 0 ? crpc_arena_alloc(arena, framed) : NULL;
  if (p == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  frame_plain(msg, p, framed);
  *out = p;
  *len = framed;
  return CRPC_OK;
}

crpc_code crpc_message_unpack(const ProtobufCMessageDescriptor *desc,
                              const uint8_t *data, size_t len,
                              ProtobufCAllocator *alloc,
                              ProtobufCMessage **out, crpc_status *why) {
  ProtobufCMessage *msg = protobuf_c_message_unpack(desc, alloc, len, data);
  if (msg == NULL)
    /* protobuf-c reports no reason; out of memory looks the same, but
     * malformed bytes are by far the likelier cause. */
    return crpc_status_set(why, CRPC_INTERNAL,
                           "error parsing %s message of %zu bytes",
                           desc->name, len);
  *out = msg;
  return CRPC_OK;
}

void crpc_rmsg_queue_init(crpc_rmsg_queue *q) {
  q->head = NULL;
  q->tail = &q->head;
  q->count = 0;
  q->bytes = 0;
}

crpc_code crpc_rmsg_queue_push(crpc_rmsg_queue *q, crpc_arena *arena,
                               const uint8_t *data, size_t len,
                               bool was_compressed) {
  crpc_rmsg *m = NULL;
  if (len <= SIZE_MAX - sizeof(*m))
    m = arena != NULL ? crpc_arena_alloc(arena, sizeof(*m) + len)
                      : crpc_mem_malloc(sizeof(*m) + len);
  if (m == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  m->next = NULL;
  m->was_compressed = was_compressed;
  m->is_in_arena = arena != NULL;
  m->len = len;
  if (len > 0)
    memcpy(m->data, data, len);
  *q->tail = m;
  q->tail = &m->next;
  q->count++;
  q->bytes += len;
  return CRPC_OK;
}

crpc_rmsg *crpc_rmsg_queue_pop(crpc_rmsg_queue *q) {
  crpc_rmsg *m = q->head;
  if (m == NULL)
    return NULL;
  q->head = m->next;
  if (q->head == NULL)
    q->tail = &q->head;
  q->count--;
  q->bytes -= m->len;
  m->next = NULL;
  return m;
}

void crpc_rmsg_free(crpc_rmsg *m) {
  if (m != NULL && !m->is_in_arena)
    crpc_mem_free(m);
}

void crpc_rmsg_queue_clear(crpc_rmsg_queue *q) {
  crpc_rmsg *m;
  while ((m = crpc_rmsg_queue_pop(q)) != NULL)
    crpc_rmsg_free(m);
}

crpc_code crpc_message_inflate(crpc_encoding enc, bool compressed,
                               const uint8_t **data, size_t *len,
                               size_t max_len, crpc_bytes *scratch,
                               crpc_status *why) {
  if (!compressed)
    return CRPC_OK;
  if (enc == CRPC_ENCODING_IDENTITY)
    /* grpc doc/compression.md: the flag without an encoding is an error. */
    return crpc_status_set(why, CRPC_INTERNAL,
                           "compressed message without grpc-encoding");
  scratch->len = 0;
  crpc_code code = crpc_decompress(enc, *data, *len, max_len, scratch, why);
  if (code != CRPC_OK)
    return code;
  *data = scratch->data;
  *len = scratch->len;
  return CRPC_OK;
}
