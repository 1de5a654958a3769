/* Tests for wire/percent.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/mem.h"
#include "wire/percent.h"

/* Encodes |in| and returns a NUL-terminated copy (leaked only on failure). */
static char *encode(const char *in, size_t len) {
  crpc_bytes b;
  char *s;

  crpc_bytes_init(&b);
  cr_assert_eq(crpc_percent_encode(in, len, &b), CRPC_OK);
  s = crpc_mem_strndup(b.data ? (char *)b.data : "", b.len);
  crpc_bytes_free(&b);
  return s;
}

static void assert_round_trip(const char *in, size_t len, const char *want) {
  char *enc = encode(in, len);
  char out[256];
  size_t n;

  cr_assert_str_eq(enc, want);
  n = crpc_percent_decode(enc, strlen(enc), out);
  cr_assert_eq(n, len);
  cr_assert_arr_eq(out, in, len);
  crpc_mem_free(enc);
}

Test(percent, leaves_printable_ascii_alone) {
  assert_round_trip("Hello, world! ~", 15, "Hello, world! ~");
}

Test(percent, round_trips_control_characters) {
  assert_round_trip("a\tb\r\nc", 6, "a%09b%0D%0Ac");
}

Test(percent, round_trips_the_percent_sign) {
  assert_round_trip("100%", 4, "100%25");
}

Test(percent, round_trips_non_ascii_utf8) {
  /* "café ☺" */
  assert_round_trip("caf\xc3\xa9 \xe2\x98\xba", 9, "caf%C3%A9 %E2%98%BA");
}

Test(percent, round_trips_nul_and_del) {
  assert_round_trip("\0\x7f", 2, "%00%7F");
}

Test(percent, appends_to_existing_output) {
  crpc_bytes b;

  crpc_bytes_init(&b);
  crpc_bytes_append(&b, "x=", 2);
  cr_assert_eq(crpc_percent_encode("\n", 1, &b), CRPC_OK);
  cr_assert_eq(b.len, 5);
  cr_assert_arr_eq(b.data, "x=%0A", 5);
  crpc_bytes_free(&b);
}

Test(percent, decodes_lowercase_hex) {
  char out[16];

  cr_assert_eq(crpc_percent_decode("%c3%a9", 6, out), 2);
  cr_assert_arr_eq(out, "\xc3\xa9", 2);
}

static void assert_decodes_to(const char *in, const char *want) {
  char out[64];
  size_t n = crpc_percent_decode(in, strlen(in), out);

  cr_assert_eq(n, strlen(want), "decoding \"%s\"", in);
  cr_assert_arr_eq(out, want, n, "decoding \"%s\"", in);
}

Test(percent, keeps_invalid_escapes_literally) {
  assert_decodes_to("%", "%");
  assert_decodes_to("%4", "%4");
  assert_decodes_to("%zz", "%zz");
  assert_decodes_to("%4g", "%4g");
  assert_decodes_to("a%", "a%");
  assert_decodes_to("%%41", "%A");
  assert_decodes_to("%2", "%2");
  assert_decodes_to("100%25%", "100%%");
}

Test(percent, decodes_in_place) {
  char buf[] = "a%20b%";
  size_t n = crpc_percent_decode(buf, strlen(buf), buf);

  cr_assert_eq(n, 4);
  cr_assert_arr_eq(buf, "a b%", 4);
}

Test(percent, leaves_output_unchanged_when_out_of_memory) {
  crpc_bytes b;

  crpc_bytes_init(&b);
  crpc_mem_fail_after(0);
  cr_assert_eq(crpc_percent_encode("%", 1, &b), CRPC_RESOURCE_EXHAUSTED);
  crpc_mem_fail_after(-1);
  cr_assert_eq(b.len, 0);
  crpc_bytes_free(&b);
}

/* Regression (found by tests/fuzz/metadata): encoding nothing into an
 * empty buffer did arithmetic on its NULL data pointer. */
Test(percent, encodes_nothing_into_an_empty_buffer) {
  crpc_bytes out;
  crpc_bytes_init(&out);
  cr_assert_eq(crpc_percent_encode("", 0, &out), CRPC_OK);
  cr_assert_eq(out.len, 0);
  crpc_bytes_free(&out);
}
