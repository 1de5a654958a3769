/*
 * channel/channel.h: what calls need from their channel.
 */
#ifndef CRPC_CHANNEL_INTERNAL_H
#define CRPC_CHANNEL_INTERNAL_H

#include "channel/lb.h"
#include "channel/retry.h"
#include "channel/service_config.h"
#include "crpc/channel.h"
#include "http2/h2_conn.h"
#include "transport/loop.h"

void crpc_channel_ref(crpc_channel *channel);
void crpc_channel_unref(crpc_channel *channel);

/* The loop that runs this channel's connections and calls. */
crpc_loop *crpc_channel_loop(const crpc_channel *channel);

const char *crpc_channel_authority(const crpc_channel *channel);
size_t crpc_channel_max_recv_len(const crpc_channel *channel);

/*
 * Loop thread: a connection to start a stream on (possibly still
 * connecting; nghttp2 holds the stream's frames until it is up), or
 * CRPC_OK with *conn NULL when no address is known yet: |w| is woken when
 * the name resolution in flight ends, and the call picks again. CANCELLED
 * when the channel is closing, UNAVAILABLE with |why| otherwise.
 */
crpc_code crpc_channel_pick(crpc_channel *channel, crpc_h2_conn **conn,
                            crpc_pick_waiter *w, crpc_status *why);
void crpc_channel_cancel_wait(crpc_pick_waiter *w);

/*
 * Loop thread: an attempt on |conn| (still open) ended with |code|, for
 * outlier ejection (crpc_channel_opts_set_outlier_ejection).
 */
void crpc_channel_report(crpc_channel *channel, const crpc_h2_conn *conn,
                         crpc_code code);

/* The service config entry for |path|, or NULL. Any thread. */
const crpc_method_config *crpc_channel_method_config(const crpc_channel *ch,
                                                     const char *path);

/* The channel's retry throttle. Loop thread only. */
crpc_retry_throttle *crpc_channel_throttle(crpc_channel *ch);

#endif /* CRPC_CHANNEL_INTERNAL_H */
