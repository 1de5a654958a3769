/*
 * tests/unit/call/failmalloc_test.c: the call code that runs without a
 * network (header blocks, message framing and inflating, the received
 * queue, call options) and service config parsing, with every allocation
 * failing in turn (tests/unit/failmalloc.h). wire/ has its own loops in
 * tests/unit/wire/ and tests/unit/wire/failmalloc_test.c.
 */
#include <string.h>

#include "base/arena.h"
#include "call/call_opts.h"
#include "call/headers.h"
#include "call/message.h"
#include "channel/service_config.h"
#include "crpc/call.h"
#include "crpc/metadata.h"
#include "failmalloc.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "wire/framing.h"

/* A value long and repetitive enough that compression pays and zlib
 * allocates its windows. */
static uint8_t payload[16 * 1024];

static void fill_payload(void) {
  for (size_t i = 0; i < sizeof(payload); i++)
    payload[i] = (uint8_t)("crpc failmalloc "[i % 16]);
}

/* True if the first header named |name| has the value |value|. */
static bool has_header(const crpc_headers *h, const char *name,
                       const char *value) {
  for (size_t i = 0; i < h->count; i++)
    if (strcmp(h->nv[i].name, name) == 0)
      return h->nv[i].value_len == strlen(value) &&
             memcmp(h->nv[i].value, value, h->nv[i].value_len) == 0;
  return false;
}

/* A request header block as client_call.c builds it, plus status trailers. */
static crpc_code build_headers(void *arg) {
  crpc_metadata *md = NULL;
  crpc_arena arena;
  crpc_headers h;
  crpc_status st = {CRPC_UNAVAILABLE, "backend 50% gone\n"};
  static const uint8_t bin[] = {0, 0xff, 0x10, 'x'};
  crpc_code rc;

  (void)arg;
  crpc_arena_init(&arena, NULL, 0); /* every byte allocated */
  if ((rc = crpc_metadata_new(&md)) != CRPC_OK ||
      (rc = crpc_metadata_add_str(md, "x-user", "alice")) != CRPC_OK ||
      (rc = crpc_metadata_add(md, "x-trace-bin", bin, sizeof(bin))) != CRPC_OK)
    goto done;
  if ((rc = crpc_headers_init(&h, &arena,
                              4 + crpc_headers_count_metadata(md))) != CRPC_OK)
    goto done;
  crpc_headers_add(&h, ":path", "/a.B/C", 6);
  if ((rc = crpc_headers_add_metadata(&h, md)) != CRPC_OK ||
      (rc = crpc_headers_add_status(&h, &st)) != CRPC_OK)
    goto done;
  cr_assert_eq(h.count, 5);
  cr_assert(has_header(&h, "x-user", "alice"));
  cr_assert(has_header(&h, "x-trace-bin", "AP8QeA"));
  cr_assert(has_header(&h, "grpc-status", "14"));
  cr_assert(has_header(&h, "grpc-message", "backend 50%25 gone%0A"));

done:
  crpc_arena_free(&arena);
  crpc_metadata_free(md);
  return rc;
}

Test(call_failmalloc, header_blocks) {
  cr_assert_gt(
      failmalloc_run("headers", build_headers, NULL, CRPC_RESOURCE_EXHAUSTED),
      3);
}

/* Frames the payload with |*enc|, queues it as received, inflates it
 * again and compares. */
static crpc_code frame_and_inflate(void *arg) {
  crpc_encoding enc = *(const crpc_encoding *)arg;
  Google__Protobuf__BytesValue msg = GOOGLE__PROTOBUF__BYTES_VALUE__INIT;
  crpc_bytes framed, scratch;
  crpc_rmsg_queue q;
  crpc_rmsg *m = NULL;
  crpc_status why;
  crpc_code rc;

  msg.value.data = payload;
  msg.value.len = sizeof(payload);
  crpc_bytes_init(&framed);
  crpc_bytes_init(&scratch);
  crpc_rmsg_queue_init(&q);
  if ((rc = crpc_message_frame(&msg.base, enc, &framed)) != CRPC_OK)
    goto done;
  cr_assert_eq(framed.data[0], enc != CRPC_ENCODING_IDENTITY);
  /* Twice, so that the queue links a second message. */
  for (int i = 0; i < 2; i++)
    if ((rc = crpc_rmsg_queue_push(&q, NULL, framed.data + CRPC_FRAME_HEADER_LEN,
                                   framed.len - CRPC_FRAME_HEADER_LEN,
                                   framed.data[0] == 1)) != CRPC_OK)
      goto done;
  cr_assert_eq(q.count, 2);
  m = crpc_rmsg_queue_pop(&q);
  const uint8_t *data = m->data;
  size_t len = m->len;
  if ((rc = crpc_message_inflate(enc, m->was_compressed, &data, &len, 1 << 20,
                                 &scratch, &why)) != CRPC_OK) {
    cr_assert_eq(why.code, rc);
    goto done;
  }
  /* Field 1, length-delimited: tag, a three-byte varint length, bytes. */
  cr_assert_eq(len, 4 + sizeof(payload));
  cr_assert_eq(memcmp(data + 4, payload, sizeof(payload)), 0);

done:
  crpc_rmsg_free(m);
  crpc_rmsg_queue_clear(&q);
  crpc_bytes_free(&scratch);
  crpc_bytes_free(&framed);
  return rc;
}

Test(call_failmalloc, message_framing_queueing_and_inflating) {
  static const crpc_encoding encodings[] = {
      CRPC_ENCODING_IDENTITY, CRPC_ENCODING_GZIP, CRPC_ENCODING_DEFLATE};

  fill_payload();
  for (size_t i = 0; i < 3; i++) {
    long points =
        failmalloc_run(crpc_encoding_name(encodings[i]), frame_and_inflate,
                       (void *)&encodings[i], CRPC_RESOURCE_EXHAUSTED);
    /* Identity: the frame and two queued copies; zlib needs more. */
    cr_assert_geq(points, encodings[i] == CRPC_ENCODING_IDENTITY ? 3 : 5);
  }
}

/* Unpacks a packed BytesValue into an arena, as a server call does. */
static crpc_code unpack_into_arena(void *arg) {
  const crpc_bytes *packed = arg;
  ProtobufCAllocator alloc;
  ProtobufCMessage *out = NULL;
  crpc_arena arena;
  crpc_status why;
  crpc_code rc;

  crpc_arena_init(&arena, NULL, 0);
  crpc_arena_pb_allocator(&arena, &alloc);
  rc = crpc_message_unpack(&google__protobuf__bytes_value__descriptor,
                           packed->data, packed->len, &alloc, &out, &why);
  if (rc == CRPC_OK) {
    Google__Protobuf__BytesValue *v = (Google__Protobuf__BytesValue *)out;
    cr_assert_eq(v->value.len, sizeof(payload));
    cr_assert_eq(memcmp(v->value.data, payload, sizeof(payload)), 0);
  } else {
    cr_assert_eq(why.code, rc);
  }
  crpc_arena_free(&arena);
  return rc;
}

Test(call_failmalloc, message_unpacking_into_an_arena) {
  Google__Protobuf__BytesValue msg = GOOGLE__PROTOBUF__BYTES_VALUE__INIT;
  crpc_bytes packed;

  fill_payload();
  msg.value.data = payload;
  msg.value.len = sizeof(payload);
  crpc_bytes_init(&packed);
  cr_assert_eq(crpc_message_frame(&msg.base, CRPC_ENCODING_IDENTITY, &packed),
               CRPC_OK);
  crpc_bytes_consume(&packed, CRPC_FRAME_HEADER_LEN);
  /* protobuf-c says only "failed", so running out of memory reads as the
   * undecodable message it usually is (message.h). */
  cr_assert_gt(
      failmalloc_run("unpack", unpack_into_arena, &packed, CRPC_INTERNAL), 0);
  crpc_bytes_free(&packed);
}

static crpc_code build_call_opts(void *arg) {
  crpc_call_opts *opts = NULL;
  crpc_code rc;

  (void)arg;
  if ((rc = crpc_call_opts_new(&opts)) != CRPC_OK ||
      (rc = crpc_call_opts_add_metadata(opts, "x-a", "1", 1)) != CRPC_OK ||
      (rc = crpc_call_opts_add_metadata(opts, "x-b-bin", "\0\1", 2)) !=
          CRPC_OK ||
      (rc = crpc_call_opts_set_compression(opts, "gzip")) != CRPC_OK)
    goto done;
  cr_assert_eq(crpc_metadata_count(opts->metadata), 2);
  cr_assert_eq(opts->compression, CRPC_ENCODING_GZIP);

done:
  crpc_call_opts_free(opts);
  return rc;
}

Test(call_failmalloc, call_options) {
  cr_assert_gt(failmalloc_run("call opts", build_call_opts, NULL,
                              CRPC_RESOURCE_EXHAUSTED),
               2);
}

static crpc_code parse_service_config(void *arg) {
  crpc_service_config *c = NULL;
  crpc_status why;
  crpc_code rc = crpc_service_config_parse(arg, &c, &why);

  if (rc != CRPC_OK) {
    cr_assert_null(c);
    cr_assert_eq(why.code, rc);
    return rc;
  }
  cr_assert_eq(c->method_count, 3);
  /* A config named for a service stays that service's, never the default
   * for all, whichever copy ran out of memory. */
  cr_assert_str_eq(crpc_service_config_find(c, "/a.B/C")->method, "C");
  cr_assert_null(crpc_service_config_find(c, "/a.D/X")->method);
  cr_assert_null(crpc_service_config_find(c, "/z.Z/Z")->service);
  crpc_service_config_free(c);
  return rc;
}

Test(call_failmalloc, service_config_parsing) {
  char json[] =
      "{\"methodConfig\":[{\"name\":[{\"service\":\"a.B\",\"method\":\"C\"},"
      "{\"service\":\"a.D\"},{}],\"timeout\":\"1.5s\","
      "\"retryPolicy\":{\"maxAttempts\":4,\"initialBackoff\":\"0.1s\","
      "\"maxBackoff\":\"2s\",\"backoffMultiplier\":1.5,"
      "\"retryableStatusCodes\":[\"UNAVAILABLE\"]}}],"
      "\"retryThrottling\":{\"maxTokens\":10,\"tokenRatio\":0.5}}";

  /* json-c allocates with malloc itself; ours are the config, its names
   * and the method list. */
  cr_assert_gt(failmalloc_run("service config", parse_service_config, json,
                              CRPC_RESOURCE_EXHAUSTED),
               4);
}
