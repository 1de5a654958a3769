/*
 * tests/unit/http2/ping_policy_test.c: a server counting its clients' ping
 * strikes (gRFC A8), against a fake clock.
 */
#include <criterion/criterion.h>

#include "http2/ping_policy.h"

#define MIN 300000 /* gRPC's default: 5 minutes */

static crpc_ping_policy policy(bool permit_without_calls, int strikes) {
  crpc_ping_policy p;
  crpc_ping_policy_init(&p, MIN, permit_without_calls, strikes);
  return p;
}

Test(ping_policy, pings_spaced_by_the_interval_are_fine) {
  crpc_ping_policy p = policy(false, 2);
  for (int64_t t = 0; t < 100 * (int64_t)MIN; t += MIN)
    cr_assert_not(crpc_ping_policy_on_ping(&p, t, true));
  cr_assert_eq(p.strikes, 0);
}

Test(ping_policy, third_early_ping_after_the_first_is_too_many) {
  crpc_ping_policy p = policy(false, 2);
  cr_assert_not(crpc_ping_policy_on_ping(&p, 1000, true)); /* the first */
  cr_assert_not(crpc_ping_policy_on_ping(&p, 2000, true)); /* strike 1 */
  cr_assert_not(crpc_ping_policy_on_ping(&p, 3000, true)); /* strike 2 */
  cr_assert(crpc_ping_policy_on_ping(&p, 4000, true));     /* strike 3 */
}

Test(ping_policy, interval_is_measured_from_the_previous_ping) {
  crpc_ping_policy p = policy(false, 2);
  crpc_ping_policy_on_ping(&p, 0, true);
  cr_assert_not(crpc_ping_policy_on_ping(&p, MIN - 1, true));
  cr_assert_eq(p.strikes, 1);
  cr_assert_not(crpc_ping_policy_on_ping(&p, 2 * MIN - 1, true));
  cr_assert_eq(p.strikes, 1);
}

Test(ping_policy, data_sent_clears_the_strikes) {
  crpc_ping_policy p = policy(false, 2);
  for (int round = 0; round < 10; round++) {
    for (int i = 0; i < 3; i++)
      cr_assert_not(crpc_ping_policy_on_ping(&p, round * 10 + i, true));
    crpc_ping_policy_on_data_sent(&p);
    cr_assert_eq(p.strikes, 0);
  }
}

Test(ping_policy, without_calls_pings_may_come_every_two_hours) {
  crpc_ping_policy p = policy(false, 2);
  crpc_ping_policy_on_ping(&p, 0, false);
  /* Later than the minimum interval, but no call is open. */
  cr_assert_not(crpc_ping_policy_on_ping(&p, MIN * 2, false));
  cr_assert_eq(p.strikes, 1);
  cr_assert_not(crpc_ping_policy_on_ping(
      &p, MIN * 2 + CRPC_PING_IDLE_INTERVAL_MS, false));
  cr_assert_eq(p.strikes, 1);
}

Test(ping_policy, permit_without_calls_uses_the_minimum_interval) {
  crpc_ping_policy p = policy(true, 2);
  crpc_ping_policy_on_ping(&p, 0, false);
  cr_assert_not(crpc_ping_policy_on_ping(&p, MIN, false));
  cr_assert_eq(p.strikes, 0);
}

Test(ping_policy, zero_max_strikes_never_gives_up) {
  crpc_ping_policy p = policy(false, 0);
  for (int i = 0; i < 1000; i++)
    cr_assert_not(crpc_ping_policy_on_ping(&p, i, true));
  cr_assert_eq(p.strikes, 999);
}
