/* Tests for wire/status.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "wire/status.h"

Test(status, names_every_code) {
  cr_assert_str_eq(crpc_code_name(CRPC_OK), "OK");
  cr_assert_str_eq(crpc_code_name(CRPC_RESOURCE_EXHAUSTED),
                   "RESOURCE_EXHAUSTED");
  cr_assert_str_eq(crpc_code_name(CRPC_UNAUTHENTICATED), "UNAUTHENTICATED");
  cr_assert_str_eq(crpc_code_name((crpc_code)17), "UNKNOWN");
  cr_assert_str_eq(crpc_code_name((crpc_code)-1), "UNKNOWN");
}

Test(status, set_formats_and_returns_the_code) {
  crpc_status st;

  cr_assert_eq(crpc_status_set(&st, CRPC_NOT_FOUND, "user %d", 7),
               CRPC_NOT_FOUND);
  cr_assert_eq(st.code, CRPC_NOT_FOUND);
  cr_assert_str_eq(st.message, "user 7");
  cr_assert_eq(crpc_status_set(NULL, CRPC_INTERNAL, "x"), CRPC_INTERNAL);
}

Test(status, set_may_quote_its_own_message) {
  crpc_status st;

  crpc_status_set(&st, CRPC_UNAVAILABLE, "refused");
  crpc_status_set(&st, st.code, "users: %s", st.message);
  cr_assert_str_eq(st.message, "users: refused");
}

Test(status, set_truncates_at_a_utf8_boundary) {
  char long_msg[400];
  crpc_status st;
  size_t len;

  /* 'a' then 2-byte characters (U+00E9), so byte 255 splits one. */
  long_msg[0] = 'a';
  for (len = 1; len + 2 < sizeof(long_msg); len += 2) {
    long_msg[len] = (char)0xc3;
    long_msg[len + 1] = (char)0xa9;
  }
  long_msg[len] = '\0';
  crpc_status_set(&st, CRPC_UNKNOWN, "%sa", long_msg);
  len = strlen(st.message);
  cr_assert_leq(len, CRPC_STATUS_MESSAGE_MAX - 1);
  cr_assert_eq(len % 2, 1, "no half character at the end (len %zu)", len);
  cr_assert_eq((unsigned char)st.message[len - 1], 0xa9);

  crpc_status_set_raw(&st, CRPC_UNKNOWN, long_msg + 1, strlen(long_msg + 1));
  len = strlen(st.message);
  cr_assert_eq(len, 254);
}

Test(status, set_raw_copies_an_unterminated_message) {
  crpc_status st;

  crpc_status_set_raw(&st, CRPC_ABORTED, "abcdef", 3);
  cr_assert_eq(st.code, CRPC_ABORTED);
  cr_assert_str_eq(st.message, "abc");
  crpc_status_set_raw(&st, CRPC_OK, "", 0);
  cr_assert_str_eq(st.message, "");
  crpc_status_set_raw(NULL, CRPC_OK, "x", 1);
}

Test(status, set_raw_keeps_a_complete_4_byte_character_at_the_end) {
  char msg[CRPC_STATUS_MESSAGE_MAX + 10];
  crpc_status st;

  memset(msg, 'a', sizeof(msg));
  /* U+1F600 ends exactly at byte 255, the last one kept. */
  memcpy(msg + 251, "\xf0\x9f\x98\x80", 4);
  crpc_status_set_raw(&st, CRPC_OK, msg, sizeof(msg));
  cr_assert_eq(strlen(st.message), 255);
  /* Shifted by one it would be split, so it is dropped whole. */
  memset(msg, 'a', sizeof(msg));
  memcpy(msg + 252, "\xf0\x9f\x98\x80", 4);
  crpc_status_set_raw(&st, CRPC_OK, msg, sizeof(msg));
  cr_assert_eq(strlen(st.message), 252);
}

Test(status, parses_grpc_status_values) {
  crpc_code c;

  cr_assert(crpc_status_parse_code("0", 1, &c));
  cr_assert_eq(c, CRPC_OK);
  cr_assert(crpc_status_parse_code("14", 2, &c));
  cr_assert_eq(c, CRPC_UNAVAILABLE);
  cr_assert(crpc_status_parse_code("16", 2, &c));
  cr_assert_eq(c, CRPC_UNAUTHENTICATED);
  cr_assert(crpc_status_parse_code("17", 2, &c));
  cr_assert_eq(c, CRPC_UNKNOWN);
  cr_assert(crpc_status_parse_code("99999999999999999999", 20, &c));
  cr_assert_eq(c, CRPC_UNKNOWN);
  cr_assert(crpc_status_parse_code("0013", 4, &c));
  cr_assert_eq(c, CRPC_INTERNAL);
  cr_assert(crpc_status_parse_code("12x", 2, &c), "only len bytes read");
  cr_assert_eq(c, CRPC_UNIMPLEMENTED);
}

Test(status, rejects_malformed_grpc_status_values) {
  crpc_code c;

  cr_assert_not(crpc_status_parse_code("", 0, &c));
  cr_assert_not(crpc_status_parse_code("-1", 2, &c));
  cr_assert_not(crpc_status_parse_code(" 1", 2, &c));
  cr_assert_not(crpc_status_parse_code("1a", 2, &c));
  cr_assert_not(crpc_status_parse_code("+1", 2, &c));
}

Test(status, maps_http_status_per_grpc_doc) {
  cr_assert_eq(crpc_status_from_http(400), CRPC_INTERNAL);
  cr_assert_eq(crpc_status_from_http(401), CRPC_UNAUTHENTICATED);
  cr_assert_eq(crpc_status_from_http(403), CRPC_PERMISSION_DENIED);
  cr_assert_eq(crpc_status_from_http(404), CRPC_UNIMPLEMENTED);
  cr_assert_eq(crpc_status_from_http(429), CRPC_UNAVAILABLE);
  cr_assert_eq(crpc_status_from_http(502), CRPC_UNAVAILABLE);
  cr_assert_eq(crpc_status_from_http(503), CRPC_UNAVAILABLE);
  cr_assert_eq(crpc_status_from_http(504), CRPC_UNAVAILABLE);
  cr_assert_eq(crpc_status_from_http(500), CRPC_UNKNOWN);
  cr_assert_eq(crpc_status_from_http(302), CRPC_UNKNOWN);
}

Test(status, maps_http2_error_codes_per_protocol_http2_md) {
  static const struct {
    uint32_t h2;
    crpc_code code;
  } cases[] = {
      {0x0, CRPC_INTERNAL},          {0x1, CRPC_INTERNAL},
      {0x2, CRPC_INTERNAL},          {0x3, CRPC_INTERNAL},
      {0x4, CRPC_INTERNAL},          {0x5, CRPC_INTERNAL},
      {0x6, CRPC_INTERNAL},          {0x7, CRPC_UNAVAILABLE},
      {0x8, CRPC_CANCELLED},         {0x9, CRPC_INTERNAL},
      {0xa, CRPC_INTERNAL},          {0xb, CRPC_RESOURCE_EXHAUSTED},
      {0xc, CRPC_PERMISSION_DENIED}, {0xd, CRPC_INTERNAL},
      {0xff, CRPC_INTERNAL},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    cr_assert_eq(crpc_status_from_h2_error(cases[i].h2), cases[i].code,
                 "h2 error 0x%x", (unsigned)cases[i].h2);
}
