/*
 * tests/unit/channel/backoff_test.c: grpc doc/connection-backoff.md's
 * schedule, with the time passed in and the jitter chosen by the test.
 */
#include <criterion/criterion.h>

#include "channel/backoff.h"

/* The test's random source: always the value it points to. */
static double fixed(void *arg) { return *(const double *)arg; }

static crpc_backoff make(double *r) {
  crpc_backoff b;
  crpc_backoff_init(&b, 1000, 120000, 20000, fixed, r);
  return b;
}

Test(backoff, first_attempt_waits_the_initial_backoff_without_jitter) {
  double r = 0.0;
  crpc_backoff b = make(&r);
  crpc_backoff_begin(&b, 5000);
  cr_assert_eq(crpc_backoff_retry_at(&b), 6000);
}

Test(backoff, connect_deadline_is_at_least_the_min_connect_timeout) {
  double r = 0.5;
  crpc_backoff b = make(&r);
  cr_assert_eq(crpc_backoff_begin(&b, 0), 20000);
  /* Once the backoff period is longer, it is the deadline. */
  int64_t deadline = 0;
  for (int i = 0; i < 10; i++)
    deadline = crpc_backoff_begin(&b, 0);
  cr_assert_eq(deadline, crpc_backoff_retry_at(&b));
  cr_assert_gt(deadline, 20000);
}

Test(backoff, grows_by_1_6_with_no_jitter_at_the_midpoint) {
  double r = 0.5; /* 2r - 1 = 0: no jitter */
  crpc_backoff b = make(&r);
  int64_t expect[] = {1000, 1600, 2560, 4096, 6553, 10484};
  for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
    crpc_backoff_begin(&b, 100000);
    cr_assert_eq(crpc_backoff_retry_at(&b) - 100000, expect[i], "attempt %zu",
                 i);
  }
}

Test(backoff, jitter_stays_within_20_percent_both_ways) {
  double low = 0.0, high = 0.999999;
  crpc_backoff a = make(&low), b = make(&high);
  crpc_backoff_begin(&a, 0);
  crpc_backoff_begin(&b, 0);
  crpc_backoff_begin(&a, 0);
  crpc_backoff_begin(&b, 0);
  /* The second attempt's backoff is 1600 ms, +-320. */
  cr_assert_eq(crpc_backoff_retry_at(&a), 1280);
  cr_assert_geq(crpc_backoff_retry_at(&b), 1919);
  cr_assert_leq(crpc_backoff_retry_at(&b), 1920);
}

Test(backoff, default_random_source_keeps_jitter_in_bounds) {
  crpc_backoff b;
  crpc_backoff_init(&b, 1000, 120000, 0, NULL, NULL);
  crpc_backoff_begin(&b, 0);
  int64_t lowest = INT64_MAX, highest = 0;
  for (int i = 0; i < 1000; i++) {
    crpc_backoff c = b; /* every draw from the second attempt */
    b.seed += 7919;
    crpc_backoff_begin(&c, 0);
    int64_t t = crpc_backoff_retry_at(&c);
    cr_assert(t >= 1280 && t <= 1920, "retry at %lld", (long long)t);
    lowest = t < lowest ? t : lowest;
    highest = t > highest ? t : highest;
  }
  /* The jitter really spreads (a constant would pass the bounds). */
  cr_assert_lt(lowest, 1400);
  cr_assert_gt(highest, 1800);
}

Test(backoff, caps_at_the_maximum) {
  double r = 0.5;
  crpc_backoff b = make(&r);
  for (int i = 0; i < 30; i++)
    crpc_backoff_begin(&b, 0);
  cr_assert_eq(b.current_ms, 120000);
  cr_assert_eq(crpc_backoff_retry_at(&b), 120000);
  r = 0.999999; /* jitter applies on top of the cap */
  crpc_backoff_begin(&b, 0);
  cr_assert_geq(crpc_backoff_retry_at(&b), 143999);
  cr_assert_leq(crpc_backoff_retry_at(&b), 144000);
}

Test(backoff, reset_on_success_starts_over) {
  double r = 0.5;
  crpc_backoff b = make(&r);
  for (int i = 0; i < 5; i++)
    crpc_backoff_begin(&b, 0);
  cr_assert_gt(crpc_backoff_retry_at(&b), 1000);
  crpc_backoff_reset(&b);
  crpc_backoff_begin(&b, 7000);
  cr_assert_eq(crpc_backoff_retry_at(&b), 8000);
  crpc_backoff_begin(&b, 8000);
  cr_assert_eq(crpc_backoff_retry_at(&b), 9600);
}
