/* http2/ping_policy.c: counting a client's ping strikes (gRFC A8). */
#include "http2/ping_policy.h"

void crpc_ping_policy_init(crpc_ping_policy *p, int64_t min_interval_ms,
                           bool permit_without_calls, int max_strikes) {
  p->min_interval_ms = min_interval_ms;
  p->permit_without_calls = permit_without_calls;
  p->max_strikes = max_strikes;
  crpc_ping_policy_on_data_sent(p);
}

bool crpc_ping_policy_on_ping(crpc_ping_policy *p, int64_t now_ms,
                              bool has_calls) {
  int64_t interval = has_calls || p->permit_without_calls
                         ? p->min_interval_ms
                         : CRPC_PING_IDLE_INTERVAL_MS;
  bool is_early = p->has_last && now_ms - p->last_ping_at < interval;
  p->has_last = true;
  p->last_ping_at = now_ms;
  if (!is_early)
    return false;
  p->strikes++;
  return p->max_strikes > 0 && p->strikes > p->max_strikes;
}

void crpc_ping_policy_on_data_sent(crpc_ping_policy *p) {
  p->has_last = false;
  p->strikes = 0;
}
