/*
 * channel/lb.h: a channel's addresses and connections: name resolution
 * (c-ares), one subchannel per address with connection backoff, and the
 * load-balancing policy that picks a connection for each new stream.
 *
 * Loop thread only, but for crpc_lb_state().
 */
#ifndef CRPC_LB_H
#define CRPC_LB_H

#include "base/list.h"
#include "channel/target.h"
#include "crpc/channel.h"
#include "http2/h2_conn.h"
#include "tls/credentials.h"

typedef struct crpc_lb crpc_lb;

/* Outlier ejection knobs (crpc_channel_opts_set_outlier_ejection). */
typedef struct crpc_ejection_policy {
  int consecutive_failures; /* 0: never eject */
  int64_t base_ms;
  int64_t max_ms;
  int max_percent;
} crpc_ejection_policy;

typedef struct crpc_lb_params {
  crpc_loop *loop;
  const crpc_target *target;
  const crpc_channel_credentials *creds; /* NULL: insecure */
  const char *authority;                 /* for TLS name checks */
  const crpc_h2_settings *settings;      /* copied */
  const crpc_h2_ops *stream_ops; /* client calls */
  bool is_round_robin;
  int64_t min_resolution_interval_ms;
  int64_t backoff_initial_ms;
  int64_t backoff_max_ms;
  int64_t min_connect_timeout_ms;
  crpc_ejection_policy ejection; /* round_robin only */
} crpc_lb_params;

/* A call waiting for addresses; |ready| runs once they are known. */
typedef struct crpc_pick_waiter {
  crpc_list node;
  void (*ready)(void *arg);
  void *arg;
} crpc_pick_waiter;

crpc_code crpc_lb_new(crpc_lb **out, const crpc_lb_params *params);

/*
 * A connection for a new stream. CRPC_OK with *conn NULL means no address
 * is known yet: |w| waits for the resolution in flight. UNAVAILABLE names
 * the reason (resolution failure, every address in backoff).
 */
crpc_code crpc_lb_pick(crpc_lb *lb, crpc_h2_conn **conn, crpc_pick_waiter *w,
                       crpc_status *why);

/*
 * An attempt on |conn| ended with |code|: round_robin ejects an address
 * whose attempts keep failing with UNAVAILABLE.
 */
void crpc_lb_report(crpc_lb *lb, const crpc_h2_conn *conn, crpc_code code);

/* Takes |w| off the waiting list, if it is on it. */
void crpc_lb_cancel_wait(crpc_pick_waiter *w);

/*
 * Closes every connection and stops resolving; |closed| runs once none is
 * left (maybe before this returns). Waiting calls are woken and their
 * picks fail with CANCELLED.
 */
void crpc_lb_close(crpc_lb *lb, void (*closed)(void *arg), void *arg);

/* Frees a closed balancer. */
void crpc_lb_free(crpc_lb *lb);

/* The channel's connectivity state. Any thread. */
crpc_channel_state crpc_lb_state(const crpc_lb *lb);

#endif /* CRPC_LB_H */
