/*
 * tests/fuzz/deframer.c: the gRPC message deframer (wire/framing.h).
 *
 * Input: one byte choosing the receive limit, one seeding how the rest is
 * cut into chunks, then the DATA payload. The payload is fed twice, whole
 * and in chunks, and both runs must agree with a plain reference parser:
 * same messages, same error, same idle state. A message starting with 0xEE
 * makes the callback fail, to exercise that path.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "wire/framing.h"

#define MAX_MSGS 64
#define LARGE_LIMIT (4u << 20)
#define CB_FAIL_BYTE 0xEE

typedef struct run {
  size_t count; /* messages delivered */
  size_t len[MAX_MSGS];
  uint32_t hash[MAX_MSGS];
  bool compressed[MAX_MSGS];
  crpc_code code; /* last feed's result */
} run;

static uint32_t fnv1a(const uint8_t *p, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static void record(run *r, const uint8_t *msg, size_t len, bool compressed) {
  if (r->count < MAX_MSGS) {
    r->len[r->count] = len;
    r->hash[r->count] = fnv1a(msg, len);
    r->compressed[r->count] = compressed;
  }
  r->count++;
}

static crpc_deframer_msg_cb on_msg;
static crpc_code on_msg(void *user_data, const uint8_t *msg, size_t len,
                        bool compressed) {
  record(user_data, msg, len, compressed);
  return len > 0 && msg[0] == CB_FAIL_BYTE ? CRPC_CANCELLED : CRPC_OK;
}

/* What the deframer must do, written as plainly as possible. */
static bool reference(const uint8_t *p, size_t len, size_t max_len, run *r) {
  size_t pos = 0;

  while (len - pos >= CRPC_FRAME_HEADER_LEN) {
    uint8_t flag = p[pos];
    uint32_t msg_len = (uint32_t)p[pos + 1] << 24 | (uint32_t)p[pos + 2] << 16 |
                       (uint32_t)p[pos + 3] << 8 | p[pos + 4];
    if (flag > 1) {
      r->code = CRPC_INTERNAL;
      return true;
    }
    if (msg_len > max_len) {
      r->code = CRPC_RESOURCE_EXHAUSTED;
      return true;
    }
    if (len - pos - CRPC_FRAME_HEADER_LEN < msg_len)
      return false; /* truncated */
    pos += CRPC_FRAME_HEADER_LEN;
    record(r, p + pos, msg_len, flag == 1);
    if (msg_len > 0 && p[pos] == CB_FAIL_BYTE) {
      r->code = CRPC_CANCELLED;
      return true;
    }
    pos += msg_len;
  }
  return pos == len; /* idle */
}

static void check_same(const run *a, const run *b) {
  FUZZ_CHECK(a->count == b->count);
  FUZZ_CHECK(a->code == b->code);
  for (size_t i = 0; i < a->count && i < MAX_MSGS; i++) {
    FUZZ_CHECK(a->len[i] == b->len[i]);
    FUZZ_CHECK(a->hash[i] == b->hash[i]);
    FUZZ_CHECK(a->compressed[i] == b->compressed[i]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  crpc_deframer d;
  crpc_status why;
  run whole = {0}, chunked = {0}, expected = {0};
  size_t max_len;
  uint32_t seed;
  bool ref_idle, stopped;

  if (size < 2)
    return 0;
  /* High bit: a small limit (0-127 bytes); else the default 4 MiB. */
  max_len = data[0] & 0x80 ? data[0] & 0x7f : LARGE_LIMIT;
  seed = data[1] | 1u;
  data += 2;
  size -= 2;

  ref_idle = reference(data, size, max_len, &expected);
  stopped = expected.code != CRPC_OK;

  crpc_deframer_init(&d, max_len);
  whole.code = crpc_deframer_feed(&d, data, size, on_msg, &whole, &why);
  if (whole.code == CRPC_INTERNAL || whole.code == CRPC_RESOURCE_EXHAUSTED)
    FUZZ_CHECK(why.code == whole.code && memchr(why.message, 0,
                                                sizeof(why.message)) != NULL);
  if (!stopped)
    FUZZ_CHECK(crpc_deframer_is_idle(&d) == ref_idle);
  /* A failed deframer stays failed, and delivers nothing more. */
  if (whole.code != CRPC_OK) {
    size_t before = whole.count;
    FUZZ_CHECK(crpc_deframer_feed(&d, data, size, on_msg, &whole, NULL) ==
               whole.code);
    FUZZ_CHECK(whole.count == before);
  }
  crpc_deframer_free(&d);
  check_same(&whole, &expected);

  /* Chunks of 0-15 bytes (an empty feed is legal) from a small LCG. */
  crpc_deframer_init(&d, max_len);
  for (size_t pos = 0; pos <= size;) {
    size_t n;
    seed = seed * 1103515245u + 12345u;
    n = (seed >> 16) % 16;
    if (n > size - pos)
      n = size - pos;
    chunked.code = crpc_deframer_feed(&d, data + pos, n, on_msg, &chunked,
                                      NULL);
    if (chunked.code != CRPC_OK)
      break;
    pos += n;
    if (pos == size) {
      FUZZ_CHECK(crpc_deframer_is_idle(&d) == ref_idle);
      break;
    }
  }
  crpc_deframer_free(&d);
  check_same(&chunked, &expected);
  return 0;
}
