/*
 * tests/unit/wire/failmalloc_test.c: wire/ as the call code drives it, with
 * every allocation failing in turn (tests/unit/failmalloc.h). Each wire
 * file's own tests have single-function loops; these run what one received
 * or sent header block and body go through, and pin down which functions
 * must never allocate at all.
 */
#include <string.h>

#include "failmalloc.h"
#include "wire/base64.h"
#include "wire/framing.h"
#include "wire/percent.h"
#include "wire/status.h"
#include "wire/timeout.h"

/* A grpc-message's way out and back in. */
static crpc_code percent_round_trip(void *arg) {
  const char *text = arg;
  crpc_bytes enc;
  char dec[256];
  crpc_code rc;

  crpc_bytes_init(&enc);
  if ((rc = crpc_percent_encode(text, strlen(text), &enc)) == CRPC_OK) {
    size_t n = crpc_percent_decode((const char *)enc.data, enc.len, dec);
    cr_assert_eq(n, strlen(text));
    cr_assert_eq(memcmp(dec, text, n), 0);
  }
  crpc_bytes_free(&enc);
  return rc;
}

Test(wire_failmalloc, grpc_message_round_trip) {
  cr_assert_gt(failmalloc_run("percent", percent_round_trip,
                              "d\xc3\xa9j\xc3\xa0 vu: 100% \"quoted\"\r\n",
                              CRPC_RESOURCE_EXHAUSTED),
               0);
}

struct messages {
  size_t count;
  size_t bytes;
};

static crpc_code count_message(void *user_data, const uint8_t *msg, size_t len,
                               bool compressed) {
  struct messages *m = user_data;
  (void)msg;
  (void)compressed;
  m->count++;
  m->bytes += len;
  return CRPC_OK;
}

/* Three framed messages arriving one byte per DATA frame, so that every
 * one of them is buffered while it is split. */
static crpc_code deframe_bytewise(void *arg) {
  static const size_t lens[] = {0, 300, 17};
  uint8_t stream[3 * CRPC_FRAME_HEADER_LEN + 317];
  struct messages got = {0, 0};
  crpc_deframer d;
  crpc_status why;
  crpc_code rc = CRPC_OK;
  size_t at = 0;

  (void)arg;
  memset(stream, 'm', sizeof(stream));
  for (size_t i = 0; i < 3; i++) {
    crpc_framing_write_header(stream + at, false, (uint32_t)lens[i]);
    at += CRPC_FRAME_HEADER_LEN + lens[i];
  }
  crpc_deframer_init(&d, 1024);
  for (size_t i = 0; i < sizeof(stream) && rc == CRPC_OK; i++)
    rc = crpc_deframer_feed(&d, stream + i, 1, count_message, &got, &why);
  if (rc == CRPC_OK) {
    cr_assert_eq(got.count, 3);
    cr_assert_eq(got.bytes, 317);
    cr_assert(crpc_deframer_is_idle(&d));
  } else {
    cr_assert_eq(why.code, rc);
    /* A failed deframer stays failed: no message slips through later. */
    size_t before = got.count;
    cr_assert_eq(crpc_deframer_feed(&d, stream, sizeof(stream), count_message,
                                    &got, NULL),
                 rc);
    cr_assert_eq(got.count, before);
  }
  crpc_deframer_free(&d);
  return rc;
}

Test(wire_failmalloc, deframing_split_messages) {
  /* The split body's buffer, reused for the next split message. */
  cr_assert_gt(failmalloc_run("deframer", deframe_bytewise, NULL,
                              CRPC_RESOURCE_EXHAUSTED),
               0);
}

/* What a received trailer block goes through besides metadata: none of it
 * may need memory, so a client out of memory still learns the status. */
static crpc_code decode_trailers(void *arg) {
  static const char bin[] = "AP8QeA";
  uint8_t raw[CRPC_BASE64_DECODED_MAX(sizeof(bin))];
  char text[32], formatted[CRPC_TIMEOUT_MAX_LEN];
  size_t raw_len;
  int64_t ms;
  crpc_code code;
  crpc_status st;

  (void)arg;
  cr_assert(crpc_status_parse_code("14", 2, &code));
  cr_assert_eq(code, CRPC_UNAVAILABLE);
  cr_assert_eq(crpc_percent_decode("50%25%0A", 8, text), 4);
  crpc_status_set_raw(&st, code, text, 4);
  cr_assert_str_eq(st.message, "50%\n");
  cr_assert_eq(crpc_status_set(&st, CRPC_INTERNAL, "%s %d", "x", 7),
               CRPC_INTERNAL);
  cr_assert(crpc_base64_decode(bin, 6, raw, &raw_len));
  cr_assert_eq(raw_len, 4);
  cr_assert(crpc_timeout_parse("250m", 4, &ms) && ms == 250);
  cr_assert_gt(crpc_timeout_format(ms, formatted), 0);
  cr_assert_eq(crpc_status_from_http(503), CRPC_UNAVAILABLE);
  return CRPC_OK;
}

Test(wire_failmalloc, status_timeout_and_base64_never_allocate) {
  failmalloc_never_allocates("trailers", decode_trailers, NULL);
}
