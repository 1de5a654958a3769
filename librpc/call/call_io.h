/*
 * call/call_io.h: what the application's thread and the loop share in one
 * call, on either side: the queue of framed messages to send, the queue
 * of received messages, and the receive window they pace.
 *
 * |mu| guards everything here except |window_held| and |was_paced| (loop
 * thread only), and the calls embedding this use it for their own shared
 * state too.
 */
#ifndef CRPC_CALL_IO_H
#define CRPC_CALL_IO_H

#include <pthread.h>
#include <stdbool.h>

#include "base/bytes.h"
#include "call/message.h"

/* Unsent bytes a writer may queue before it waits for the peer. */
#define CRPC_SEND_QUEUE_LIMIT (1024 * 1024)

typedef struct crpc_call_io {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  crpc_bytes send_buf; /* framed messages HTTP/2 has not taken yet */
  size_t send_pos;
  /*
   * Framed bytes sent before send_buf without being copied in, kept by the
   * call (a unary request or reply in its arena); |lent_pos| of them went.
   */
  const uint8_t *lent;
  size_t lent_len;
  size_t lent_pos;
  size_t later; /* bytes take_locked() counted for copy_later_locked() */
  bool is_retained; /* keep sent bytes: the request may be sent again */
  crpc_rmsg_queue received;
  size_t window_held;    /* loop: DATA bytes not yet given back */
  bool was_paced;        /* loop: settled with is_paced once */
  bool is_window_held;   /* the reader fell behind; the window waits */
  bool is_window_posted; /* a task to reopen it is on its way */
} crpc_call_io;

void crpc_call_io_init(crpc_call_io *io);
void crpc_call_io_free(crpc_call_io *io);
/* Frees what the queues hold and empties them, keeping |mu| and |cv|: the
 * state crpc_call_io_init() left, for another call. */
void crpc_call_io_clear(crpc_call_io *io);

/* |mu| held: whether framed bytes wait to be sent. */
bool crpc_call_io_has_unsent_locked(const crpc_call_io *io);

/* |mu| held: every retained byte unsent again, for another attempt. */
void crpc_call_io_rewind_locked(crpc_call_io *io);

/* From this many bytes on, DATA is copied once, when its frame is written
 * (crpc_h2_ops.read_data): below, copying twice costs less. */
#define CRPC_CALL_IO_COPY_LATER 4096

/*
 * Loop, |mu| held: takes up to |max| unsent bytes, the lent ones first,
 * and returns how many; *is_drained when nothing is left then. Fewer than
 * CRPC_CALL_IO_COPY_LATER are copied to |buf| at once; more are only
 * counted, with *is_later set, for crpc_call_io_copy_later_locked(). Wakes
 * waiting writers once drained.
 */
size_t crpc_call_io_take_locked(crpc_call_io *io, uint8_t *buf, size_t max,
                                bool *is_drained, bool *is_later);

/* Loop, |mu| held: copies the bytes the last take counted to |dest|. */
void crpc_call_io_copy_later_locked(crpc_call_io *io, uint8_t *dest);

/* |mu| held: whether a writer may queue another message now. */
bool crpc_call_io_has_room_locked(const crpc_call_io *io);

/*
 * Loop, after DATA was added to |window_held| and deframed: the bytes to
 * give back to the peer now. All of them, unless |is_paced| (the
 * application reads messages one at a time) and more than
 * CRPC_RECV_QUEUE_LIMIT bytes wait unread.
 */
size_t crpc_call_io_settle_window(crpc_call_io *io, bool is_paced);

/*
 * Application, |mu| held, after taking a message: true when a held window
 * may reopen; the caller then posts a task that calls
 * crpc_call_io_reopen_window() on the loop.
 */
bool crpc_call_io_should_reopen_locked(crpc_call_io *io);

/* Loop: the held bytes to give back now that the reader caught up. */
size_t crpc_call_io_reopen_window(crpc_call_io *io);

#endif /* CRPC_CALL_IO_H */
