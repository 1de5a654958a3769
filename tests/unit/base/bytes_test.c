/* Tests for base/bytes.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/bytes.h"
#include "base/mem.h"

Test(bytes, starts_empty_and_appends) {
  crpc_bytes b;

  crpc_bytes_init(&b);
  cr_assert_eq(b.len, 0);
  cr_assert_eq(crpc_bytes_append(&b, "abc", 3), CRPC_OK);
  cr_assert_eq(crpc_bytes_append(&b, "de", 2), CRPC_OK);
  cr_assert_eq(b.len, 5);
  cr_assert_arr_eq(b.data, "abcde", 5);
  crpc_bytes_free(&b);
  cr_assert_null(b.data);
  cr_assert_eq(b.len, 0);
}

Test(bytes, grows_across_many_appends) {
  crpc_bytes b;
  int i;

  crpc_bytes_init(&b);
  for (i = 0; i < 10000; i++) {
    uint8_t c = (uint8_t)i;

    cr_assert_eq(crpc_bytes_append(&b, &c, 1), CRPC_OK);
  }
  cr_assert_eq(b.len, 10000);
  cr_assert_eq(b.data[9999], (uint8_t)9999);
  crpc_bytes_free(&b);
}

Test(bytes, consume_drops_bytes_from_the_front) {
  crpc_bytes b;

  crpc_bytes_init(&b);
  crpc_bytes_append(&b, "hello world", 11);
  crpc_bytes_consume(&b, 6);
  cr_assert_eq(b.len, 5);
  cr_assert_arr_eq(b.data, "world", 5);
  crpc_bytes_consume(&b, 100);
  cr_assert_eq(b.len, 0);
  crpc_bytes_free(&b);
}

Test(bytes, clear_keeps_the_memory) {
  crpc_bytes b;
  size_t cap;

  crpc_bytes_init(&b);
  crpc_bytes_append(&b, "x", 1);
  cap = b.cap;
  crpc_bytes_clear(&b);
  cr_assert_eq(b.len, 0);
  cr_assert_eq(b.cap, cap);
  crpc_bytes_free(&b);
}

Test(bytes, printf_appends_formatted_text) {
  crpc_bytes b;

  crpc_bytes_init(&b);
  crpc_bytes_append(&b, "n=", 2);
  cr_assert_eq(crpc_bytes_printf(&b, "%d/%s", 42, "x"), CRPC_OK);
  cr_assert_eq(b.len, 6);
  cr_assert_arr_eq(b.data, "n=42/x", 6);
  crpc_bytes_free(&b);
}

Test(bytes, leaves_the_buffer_unchanged_when_out_of_memory) {
  crpc_bytes b;

  crpc_bytes_init(&b);
  crpc_bytes_append(&b, "keep", 4);
  crpc_mem_fail_after(0);
  cr_assert_eq(crpc_bytes_reserve(&b, 1 << 20), CRPC_RESOURCE_EXHAUSTED);
  cr_assert_eq(crpc_bytes_printf(&b, "%0*d", 1000, 1), CRPC_RESOURCE_EXHAUSTED);
  crpc_mem_fail_after(-1);
  cr_assert_eq(crpc_bytes_reserve(&b, SIZE_MAX), CRPC_RESOURCE_EXHAUSTED);
  cr_assert_eq(b.len, 4);
  cr_assert_arr_eq(b.data, "keep", 4);
  crpc_bytes_free(&b);
}
