/*
 * tests/unit/call/call_io_test.c: the send queue as HTTP/2 drains it:
 * small amounts copied at once, large ones counted and copied when their
 * frame is written (crpc_h2_ops.read_data), lent bytes before queued
 * ones, and retained bytes kept for a retry.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "call/call_io.h"

static crpc_call_io io;

static void setup(void) { crpc_call_io_init(&io); }
static void teardown(void) { crpc_call_io_free(&io); }

TestSuite(call_io, .init = setup, .fini = teardown);

/* Queues |len| bytes, each its offset mod 251. */
static void queue(size_t len) {
  size_t start = io.send_buf.len;
  cr_assert_eq(crpc_bytes_reserve(&io.send_buf, len), CRPC_OK);
  for (size_t i = 0; i < len; i++)
    io.send_buf.data[start + i] = (uint8_t)((start + i) % 251);
  io.send_buf.len += len;
}

static void assert_pattern(const uint8_t *p, size_t from, size_t len) {
  for (size_t i = 0; i < len; i++)
    cr_assert_eq(p[i], (uint8_t)((from + i) % 251), "byte %zu", from + i);
}

Test(call_io, copies_small_amounts_at_once) {
  uint8_t buf[64];
  bool drained, later;
  queue(40);
  size_t n = crpc_call_io_take_locked(&io, buf, 16, &drained, &later);
  cr_assert_eq(n, 16);
  cr_assert_not(later);
  cr_assert_not(drained);
  assert_pattern(buf, 0, 16);
  n = crpc_call_io_take_locked(&io, buf, sizeof(buf), &drained, &later);
  cr_assert_eq(n, 24);
  cr_assert(drained);
  assert_pattern(buf, 16, 24);
  cr_assert_not(crpc_call_io_has_unsent_locked(&io));
  cr_assert_eq(io.send_buf.len, 0, "a drained queue starts over");
}

Test(call_io, counts_large_amounts_and_copies_them_later) {
  enum { LEN = 3 * CRPC_CALL_IO_COPY_LATER + 100 };
  static uint8_t frame[LEN];
  bool drained, later;
  size_t done = 0;
  queue(LEN);
  while (done < LEN) {
    size_t max = 16384;
    size_t n = crpc_call_io_take_locked(&io, NULL, max, &drained, &later);
    size_t expect = LEN - done < max ? LEN - done : max;
    cr_assert_eq(n, expect);
    cr_assert_eq(later, expect >= CRPC_CALL_IO_COPY_LATER);
    cr_assert_eq(drained, done + n == LEN);
    /* Counted, not taken yet: still unsent until the frame is written. */
    cr_assert(crpc_call_io_has_unsent_locked(&io));
    crpc_call_io_copy_later_locked(&io, frame);
    assert_pattern(frame, done, n);
    done += n;
  }
  cr_assert_not(crpc_call_io_has_unsent_locked(&io));
}

Test(call_io, forgets_a_count_whose_frame_was_dropped) {
  uint8_t buf[16];
  static uint8_t frame[2 * CRPC_CALL_IO_COPY_LATER];
  bool drained, later;
  queue(sizeof(frame));
  size_t n = crpc_call_io_take_locked(&io, NULL, sizeof(frame), &drained,
                                      &later);
  cr_assert(later);
  cr_assert(drained);
  /* The stream was reset before its frame went out: the next take, of a
   * retry, starts where the queue really is. */
  n = crpc_call_io_take_locked(&io, buf, sizeof(buf), &drained, &later);
  cr_assert_eq(n, sizeof(buf));
  assert_pattern(buf, 0, sizeof(buf));
}

Test(call_io, sends_lent_bytes_first_then_the_queue) {
  static uint8_t lent[CRPC_CALL_IO_COPY_LATER + 8], frame[sizeof(lent)];
  uint8_t buf[8];
  bool drained, later;
  memset(lent, 0xee, sizeof(lent));
  io.lent = lent;
  io.lent_len = sizeof(lent);
  queue(8);
  size_t n = crpc_call_io_take_locked(&io, NULL, 1 << 20, &drained, &later);
  cr_assert_eq(n, sizeof(lent), "lent bytes go alone");
  cr_assert(later);
  cr_assert_not(drained, "the queue is still to send");
  crpc_call_io_copy_later_locked(&io, frame);
  cr_assert_eq(memcmp(frame, lent, sizeof(lent)), 0);
  n = crpc_call_io_take_locked(&io, buf, sizeof(buf), &drained, &later);
  cr_assert_eq(n, 8);
  cr_assert(drained);
  assert_pattern(buf, 0, 8);
}

Test(call_io, keeps_retained_bytes_for_another_attempt) {
  static uint8_t frame[CRPC_CALL_IO_COPY_LATER];
  bool drained, later;
  io.is_retained = true;
  queue(sizeof(frame));
  crpc_call_io_take_locked(&io, NULL, sizeof(frame), &drained, &later);
  crpc_call_io_copy_later_locked(&io, frame);
  cr_assert(drained);
  cr_assert_eq(io.send_buf.len, sizeof(frame), "kept for a retry");
  crpc_call_io_rewind_locked(&io); /* what a retry does */
  cr_assert(crpc_call_io_has_unsent_locked(&io));
  size_t n = crpc_call_io_take_locked(&io, NULL, sizeof(frame), &drained,
                                      &later);
  cr_assert_eq(n, sizeof(frame));
  crpc_call_io_copy_later_locked(&io, frame);
  assert_pattern(frame, 0, sizeof(frame));
}

Test(call_io, sends_retained_lent_bytes_again_after_a_rewind) {
  uint8_t lent[40], buf[64];
  bool drained, later;
  for (size_t i = 0; i < sizeof(lent); i++)
    lent[i] = (uint8_t)(i % 251);
  io.lent = lent;
  io.lent_len = sizeof(lent);
  io.is_retained = true;
  for (int attempt = 0; attempt < 3; attempt++) {
    size_t n = crpc_call_io_take_locked(&io, buf, 24, &drained, &later);
    cr_assert_eq(n, 24);
    cr_assert_not(drained);
    n = crpc_call_io_take_locked(&io, buf + 24, 24, &drained, &later);
    cr_assert_eq(n, 16);
    cr_assert(drained, "attempt %d", attempt);
    assert_pattern(buf, 0, sizeof(lent));
    cr_assert_not(crpc_call_io_has_unsent_locked(&io));
    crpc_call_io_rewind_locked(&io);
  }
}
