/* Tests for base/buf.h. */
#include <criterion/criterion.h>

#include "base/buf.h"

Test(buf, fetches_bytes_in_order) {
  static const uint8_t data[] = {0x01, 0x12, 0x34, 0x56, 0x78, 'a', 'b'};
  crpc_buf b;
  uint8_t u8;
  uint32_t u32;
  const uint8_t *p;

  crpc_buf_init(&b, data, sizeof(data));
  cr_assert_eq(crpc_buf_remaining(&b), 7);
  cr_assert(crpc_buf_fetch_u8(&b, &u8));
  cr_assert_eq(u8, 1);
  cr_assert(crpc_buf_fetch_be32(&b, &u32));
  cr_assert_eq(u32, 0x12345678);
  cr_assert(crpc_buf_fetch_bytes(&b, 2, &p));
  cr_assert_eq(p, data + 5);
  cr_assert_eq(crpc_buf_remaining(&b), 0);
}

Test(buf, consumes_nothing_when_short) {
  static const uint8_t data[] = {0xff, 0xff, 0xff};
  crpc_buf b;
  uint32_t u32 = 7;
  const uint8_t *p = NULL;
  uint8_t u8;

  crpc_buf_init(&b, data, sizeof(data));
  cr_assert_not(crpc_buf_fetch_be32(&b, &u32));
  cr_assert_eq(u32, 7);
  cr_assert_not(crpc_buf_fetch_bytes(&b, 4, &p));
  cr_assert_null(p);
  cr_assert_eq(crpc_buf_remaining(&b), 3);
  cr_assert(crpc_buf_fetch_bytes(&b, 3, &p));
  cr_assert_not(crpc_buf_fetch_u8(&b, &u8));
}

Test(buf, reads_the_largest_be32) {
  static const uint8_t data[] = {0xff, 0xff, 0xff, 0xff};
  crpc_buf b;
  uint32_t u32;

  crpc_buf_init(&b, data, sizeof(data));
  cr_assert(crpc_buf_fetch_be32(&b, &u32));
  cr_assert_eq(u32, UINT32_MAX);
}

Test(buf, fetches_zero_bytes_from_an_empty_buffer) {
  crpc_buf b;
  const uint8_t *p;

  crpc_buf_init(&b, NULL, 0);
  cr_assert(crpc_buf_fetch_bytes(&b, 0, &p));
  cr_assert_eq(crpc_buf_remaining(&b), 0);
}
