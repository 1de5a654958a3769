/* Tests for wire/framing.c, fed from byte arrays. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/mem.h"
#include "wire/framing.h"

#define MAX_MSGS 16

/* Records every message the deframer delivers. */
struct sink {
  int count;
  size_t lens[MAX_MSGS];
  bool compressed[MAX_MSGS];
  uint8_t data[MAX_MSGS][64];
  const uint8_t *ptrs[MAX_MSGS];
  crpc_code reply; /* what the callback returns */
};

static crpc_deframer_msg_cb on_msg;

static crpc_code on_msg(void *user_data, const uint8_t *msg, size_t len,
                        bool compressed) {
  struct sink *s = user_data;

  cr_assert_lt(s->count, MAX_MSGS);
  s->lens[s->count] = len;
  s->compressed[s->count] = compressed;
  s->ptrs[s->count] = msg;
  memcpy(s->data[s->count], msg, len < 64 ? len : 64);
  s->count++;
  return s->reply;
}

/* "hello" framed, uncompressed. */
static const uint8_t hello[] = {0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};

Test(framing, writes_the_five_byte_prefix) {
  uint8_t h[CRPC_FRAME_HEADER_LEN];

  crpc_framing_write_header(h, false, 5);
  cr_assert_arr_eq(h, hello, 5);
  crpc_framing_write_header(h, true, 0x01020304);
  cr_assert_arr_eq(h, ((uint8_t[]){1, 1, 2, 3, 4}), 5);
}

Test(framing, delivers_a_whole_message_in_place) {
  crpc_deframer d;
  struct sink s = {0};

  crpc_deframer_init(&d, 100);
  cr_assert_eq(crpc_deframer_feed(&d, hello, sizeof(hello), on_msg, &s, NULL),
               CRPC_OK);
  cr_assert_eq(s.count, 1);
  cr_assert_eq(s.lens[0], 5);
  cr_assert_not(s.compressed[0]);
  cr_assert_eq(s.ptrs[0], hello + 5, "no copy for a whole message");
  cr_assert(crpc_deframer_is_idle(&d));
  cr_assert_null(d.partial.data);
  crpc_deframer_free(&d);
}

Test(framing, reassembles_message_split_at_every_byte_boundary) {
  size_t cut;

  for (cut = 0; cut <= sizeof(hello); cut++) {
    crpc_deframer d;
    struct sink s = {0};

    crpc_deframer_init(&d, 100);
    cr_assert_eq(crpc_deframer_feed(&d, hello, cut, on_msg, &s, NULL), CRPC_OK);
    cr_assert_eq(s.count, cut == sizeof(hello) ? 1 : 0, "cut %zu", cut);
    cr_assert_eq(crpc_deframer_is_idle(&d), cut == 0 || cut == sizeof(hello));
    cr_assert_eq(crpc_deframer_feed(&d, hello + cut, sizeof(hello) - cut,
                                    on_msg, &s, NULL),
                 CRPC_OK);
    cr_assert_eq(s.count, 1, "cut %zu", cut);
    cr_assert_eq(s.lens[0], 5);
    cr_assert_arr_eq(s.data[0], "hello", 5);
    cr_assert(crpc_deframer_is_idle(&d));
    crpc_deframer_free(&d);
  }
}

Test(framing, delivers_in_place_a_body_that_follows_its_prefix_whole) {
  crpc_deframer d;
  struct sink s = {0};

  crpc_deframer_init(&d, 100);
  cr_assert_eq(crpc_deframer_feed(&d, hello, 5, on_msg, &s, NULL), CRPC_OK);
  cr_assert_null(d.partial.data, "nothing buffered for a bare prefix");
  cr_assert_eq(crpc_deframer_feed(&d, hello + 5, 5, on_msg, &s, NULL), CRPC_OK);
  cr_assert_eq(s.count, 1);
  cr_assert_eq(s.ptrs[0], hello + 5);
  crpc_deframer_free(&d);
}

Test(framing, reassembles_message_fed_one_byte_at_a_time) {
  uint8_t stream[2 * sizeof(hello)];
  crpc_deframer d;
  struct sink s = {0};
  size_t i;

  memcpy(stream, hello, sizeof(hello));
  memcpy(stream + sizeof(hello), hello, sizeof(hello));
  stream[sizeof(hello)] = 1; /* second one flagged compressed */
  crpc_deframer_init(&d, 100);
  for (i = 0; i < sizeof(stream); i++)
    cr_assert_eq(crpc_deframer_feed(&d, stream + i, 1, on_msg, &s, NULL),
                 CRPC_OK);
  cr_assert_eq(s.count, 2);
  cr_assert_not(s.compressed[0]);
  cr_assert(s.compressed[1]);
  cr_assert_arr_eq(s.data[1], "hello", 5);
  crpc_deframer_free(&d);
}

Test(framing, delivers_several_messages_packed_in_one_chunk) {
  static const uint8_t packed[] = {0, 0, 0, 0, 1, 'a',      /* "a" */
                                   0, 0, 0, 0, 0,           /* empty */
                                   1, 0, 0, 0, 2, 'b', 'c', /* "bc" */
                                   0, 0, 0};                /* a prefix part */
  crpc_deframer d;
  struct sink s = {0};

  crpc_deframer_init(&d, 100);
  cr_assert_eq(crpc_deframer_feed(&d, packed, sizeof(packed), on_msg, &s, NULL),
               CRPC_OK);
  cr_assert_eq(s.count, 3);
  cr_assert_eq(s.lens[0], 1);
  cr_assert_eq(s.lens[1], 0);
  cr_assert_eq(s.lens[2], 2);
  cr_assert(s.compressed[2]);
  cr_assert_arr_eq(s.data[2], "bc", 2);
  cr_assert_not(crpc_deframer_is_idle(&d), "a prefix is pending");
  cr_assert_eq(
      crpc_deframer_feed(&d, (const uint8_t[]){0, 1, 'z'}, 3, on_msg, &s, NULL),
      CRPC_OK);
  cr_assert_eq(s.count, 4);
  cr_assert_eq(s.data[3][0], 'z');
  cr_assert(crpc_deframer_is_idle(&d));
  crpc_deframer_free(&d);
}

Test(framing, delivers_a_zero_length_message_at_the_end_of_a_chunk) {
  static const uint8_t empty[] = {0, 0, 0, 0, 0};
  crpc_deframer d;
  struct sink s = {0};

  crpc_deframer_init(&d, 0);
  cr_assert_eq(crpc_deframer_feed(&d, empty, 3, on_msg, &s, NULL), CRPC_OK);
  cr_assert_eq(s.count, 0);
  cr_assert_eq(crpc_deframer_feed(&d, empty + 3, 2, on_msg, &s, NULL), CRPC_OK);
  cr_assert_eq(s.count, 1);
  cr_assert_eq(s.lens[0], 0);
  cr_assert(crpc_deframer_is_idle(&d));
  crpc_deframer_free(&d);
}

Test(framing, accepts_an_empty_feed) {
  crpc_deframer d;
  struct sink s = {0};

  crpc_deframer_init(&d, 10);
  cr_assert_eq(crpc_deframer_feed(&d, NULL, 0, on_msg, &s, NULL), CRPC_OK);
  cr_assert_eq(s.count, 0);
  cr_assert(crpc_deframer_is_idle(&d));
  crpc_deframer_free(&d);
}

Test(framing, accepts_a_message_of_exactly_max_len) {
  crpc_deframer d;
  struct sink s = {0};

  crpc_deframer_init(&d, 5);
  cr_assert_eq(crpc_deframer_feed(&d, hello, sizeof(hello), on_msg, &s, NULL),
               CRPC_OK);
  cr_assert_eq(s.count, 1);
  crpc_deframer_free(&d);
}

Test(framing, rejects_message_over_limit_with_grpcs_wording) {
  /* 5000000 = 0x004c4b40, announced before any body byte arrives. */
  static const uint8_t big[] = {0, 0x00, 0x4c, 0x4b, 0x40, 'x'};
  crpc_deframer d;
  struct sink s = {0};
  crpc_status why;

  crpc_deframer_init(&d, 4194304);
  cr_assert_eq(crpc_deframer_feed(&d, big, sizeof(big), on_msg, &s, &why),
               CRPC_RESOURCE_EXHAUSTED);
  cr_assert_eq(why.code, CRPC_RESOURCE_EXHAUSTED);
  cr_assert_str_eq(why.message,
                   "received message larger than max (5000000 vs. 4194304)");
  cr_assert_eq(s.count, 0);
  /* The deframer stays failed. */
  cr_assert_eq(crpc_deframer_feed(&d, hello, sizeof(hello), on_msg, &s, NULL),
               CRPC_RESOURCE_EXHAUSTED);
  cr_assert_eq(s.count, 0);
  crpc_deframer_free(&d);
}

Test(framing, rejects_a_compressed_flag_other_than_0_or_1) {
  static const uint8_t bad[] = {2, 0, 0, 0, 1, 'x'};
  crpc_deframer d;
  struct sink s = {0};
  crpc_status why;

  crpc_deframer_init(&d, 100);
  cr_assert_eq(crpc_deframer_feed(&d, bad, sizeof(bad), on_msg, &s, &why),
               CRPC_INTERNAL);
  cr_assert_eq(why.code, CRPC_INTERNAL);
  cr_assert_eq(s.count, 0);
  crpc_deframer_free(&d);
}

Test(framing, stops_at_the_first_callback_error_and_returns_it) {
  static const uint8_t two[] = {0, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 1, 'b'};
  crpc_deframer d;
  struct sink s = {.reply = CRPC_CANCELLED};
  crpc_status why = {.code = CRPC_OK, .message = "untouched"};

  crpc_deframer_init(&d, 100);
  cr_assert_eq(crpc_deframer_feed(&d, two, sizeof(two), on_msg, &s, &why),
               CRPC_CANCELLED);
  cr_assert_eq(s.count, 1);
  cr_assert_str_eq(why.message, "untouched");
  cr_assert_eq(crpc_deframer_feed(&d, two, sizeof(two), on_msg, &s, NULL),
               CRPC_CANCELLED);
  cr_assert_eq(s.count, 1);
  crpc_deframer_free(&d);
}

Test(framing, reports_a_truncated_message_as_not_idle) {
  crpc_deframer d;
  struct sink s = {0};

  crpc_deframer_init(&d, 100);
  cr_assert_eq(
      crpc_deframer_feed(&d, hello, sizeof(hello) - 1, on_msg, &s, NULL),
      CRPC_OK);
  cr_assert_eq(s.count, 0);
  cr_assert_not(crpc_deframer_is_idle(&d));
  crpc_deframer_free(&d); /* frees the partial body */
}

Test(framing, fails_cleanly_when_out_of_memory) {
  long n;

  for (n = 0;; n++) {
    crpc_deframer d;
    struct sink s = {0};
    crpc_status why;
    crpc_code rc;

    crpc_deframer_init(&d, 100);
    crpc_mem_fail_after(n);
    rc = crpc_deframer_feed(&d, hello, 7, on_msg, &s, &why);
    if (rc == CRPC_OK)
      rc = crpc_deframer_feed(&d, hello + 7, sizeof(hello) - 7, on_msg, &s,
                              &why);
    crpc_mem_fail_after(-1);
    crpc_deframer_free(&d);
    if (rc == CRPC_OK) {
      cr_assert_eq(s.count, 1);
      cr_assert_arr_eq(s.data[0], "hello", 5);
      break;
    }
    cr_assert_eq(rc, CRPC_RESOURCE_EXHAUSTED, "n = %ld", n);
    cr_assert_eq(why.code, CRPC_RESOURCE_EXHAUSTED);
    cr_assert_eq(s.count, 0);
  }
  cr_assert_gt(n, 0, "the split message must need an allocation");
}
