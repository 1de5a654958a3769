/* Tests for wire/timeout.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "wire/timeout.h"

static int64_t parse(const char *v) {
  int64_t ms = -42;

  cr_assert(crpc_timeout_parse(v, strlen(v), &ms), "\"%s\"", v);
  return ms;
}

Test(timeout, parses_every_unit) {
  cr_assert_eq(parse("2H"), 7200000);
  cr_assert_eq(parse("3M"), 180000);
  cr_assert_eq(parse("4S"), 4000);
  cr_assert_eq(parse("5m"), 5);
  cr_assert_eq(parse("5000u"), 5);
  cr_assert_eq(parse("5000000n"), 5);
}

Test(timeout, rounds_sub_millisecond_units_up) {
  cr_assert_eq(parse("1n"), 1);
  cr_assert_eq(parse("1u"), 1);
  cr_assert_eq(parse("1001u"), 2);
  cr_assert_eq(parse("1000001n"), 2);
  cr_assert_eq(parse("0n"), 0);
  cr_assert_eq(parse("0m"), 0);
}

Test(timeout, parses_the_largest_values) {
  cr_assert_eq(parse("99999999H"), INT64_C(99999999) * 3600000);
  cr_assert_eq(parse("99999999n"), 100);
  cr_assert_eq(parse("00000001S"), 1000);
}

Test(timeout, rejects_malformed_values) {
  static const char *const bad[] = {
      "",   "m",   "5",  "123456789m", "-1m", "+1m",  "1 m",  " 1m",
      "1x", "1ms", "1h", "1s",         "m1",  "1.5S", "0x1m",
  };
  size_t i;
  int64_t ms;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    cr_assert_not(crpc_timeout_parse(bad[i], strlen(bad[i]), &ms), "\"%s\"",
                  bad[i]);
}

static void assert_formats(int64_t ms, const char *want) {
  char out[CRPC_TIMEOUT_MAX_LEN];
  size_t n = crpc_timeout_format(ms, out);

  cr_assert_str_eq(out, want, "%lld ms", (long long)ms);
  cr_assert_eq(n, strlen(want));
}

Test(timeout, formats_in_milliseconds_while_they_fit) {
  assert_formats(1, "1m");
  assert_formats(1500, "1500m");
  assert_formats(99999999, "99999999m");
}

Test(timeout, formats_longer_timeouts_in_coarser_units_rounding_up) {
  assert_formats(100000000, "100000S");
  assert_formats(100000001, "100001S");
  assert_formats(INT64_C(99999999) * 1000 + 1, "1666667M");
  assert_formats(INT64_C(99999999) * 60000 + 1, "1666667H");
  assert_formats(INT64_MAX, "99999999H");
}

Test(timeout, formats_expired_timeouts_as_one_nanosecond) {
  assert_formats(0, "1n");
  assert_formats(-5, "1n");
  assert_formats(INT64_MIN, "1n");
}

Test(timeout, round_trips_what_it_formats) {
  static const int64_t cases[] = {1, 999, 123456789, INT64_C(3600000) * 1000};
  char out[CRPC_TIMEOUT_MAX_LEN];
  size_t i, n;
  int64_t ms;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    n = crpc_timeout_format(cases[i], out);
    cr_assert(crpc_timeout_parse(out, n, &ms));
    cr_assert_geq(ms, cases[i], "never shorter");
  }
}
