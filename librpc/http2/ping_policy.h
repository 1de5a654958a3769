/*
 * http2/ping_policy.h: a server's judgement of the PINGs its clients send
 * (gRFC A8 "server enforcement", A9).
 *
 * Pure logic with the time passed in, so it is tested with a fake clock.
 * A ping counts as a strike when it comes sooner than the minimum interval
 * after the previous one; the interval resets whenever the server sends
 * HEADERS or DATA, since a client waiting for data may well ping. Strikes
 * beyond the maximum mean the connection must end with GOAWAY
 * ENHANCE_YOUR_CALM and debug data "too_many_pings".
 */
#ifndef CRPC_PING_POLICY_H
#define CRPC_PING_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* Pings on a connection without calls, when they are not permitted, may
 * come this often (gRFC A8: two hours, like TCP keepalive). */
#define CRPC_PING_IDLE_INTERVAL_MS (2 * 60 * 60 * 1000LL)

typedef struct crpc_ping_policy {
  int64_t min_interval_ms;   /* between pings while data flows */
  bool permit_without_calls; /* pings with no call open use the same */
  int max_strikes;           /* 0: any number */
  bool has_last;             /* a ping came since data was last sent */
  int64_t last_ping_at;
  int strikes;
} crpc_ping_policy;

void crpc_ping_policy_init(crpc_ping_policy *p, int64_t min_interval_ms,
                           bool permit_without_calls, int max_strikes);

/*
 * A PING (not an ACK) arrived at |now_ms| while |has_calls| streams are
 * open. True if the client has now pinged too often.
 */
bool crpc_ping_policy_on_ping(crpc_ping_policy *p, int64_t now_ms,
                              bool has_calls);

/* The server sent HEADERS or DATA: the count starts over. */
void crpc_ping_policy_on_data_sent(crpc_ping_policy *p);

#endif /* CRPC_PING_POLICY_H */
