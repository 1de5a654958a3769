/*
 * call/call_io.c: send and receive queues shared by a call's threads.
 */
#include "call/call_io.h"

#include <string.h>

/* Empty queues, the state of a new call. */
static void init_queues(crpc_call_io *io) {
  crpc_bytes_init(&io->send_buf);
  io->send_pos = 0;
  io->lent = NULL;
  io->lent_len = io->lent_pos = 0;
  io->later = 0;
  io->is_retained = false;
  crpc_rmsg_queue_init(&io->received);
  io->window_held = 0;
  io->was_paced = false;
  io->is_window_held = false;
  io->is_window_posted = false;
}

void crpc_call_io_init(crpc_call_io *io) {
  pthread_mutex_init(&io->mu, NULL);
  pthread_cond_init(&io->cv, NULL);
  init_queues(io);
}

void crpc_call_io_clear(crpc_call_io *io) {
  crpc_rmsg_queue_clear(&io->received);
  crpc_bytes_free(&io->send_buf);
  init_queues(io);
}

void crpc_call_io_free(crpc_call_io *io) {
  crpc_call_io_clear(io);
  pthread_mutex_destroy(&io->mu);
  pthread_cond_destroy(&io->cv);
}

static bool has_unsent_lent(const crpc_call_io *io) {
  return io->lent_pos < io->lent_len;
}

bool crpc_call_io_has_unsent_locked(const crpc_call_io *io) {
  return has_unsent_lent(io) || io->send_pos < io->send_buf.len;
}

void crpc_call_io_rewind_locked(crpc_call_io *io) {
  io->lent_pos = io->send_pos = 0;
}

/* Copies |n| unsent bytes, which the caller counted, to |buf|. */
static void copy_out(crpc_call_io *io, uint8_t *buf, size_t n) {
  if (has_unsent_lent(io)) {
    memcpy(buf, io->lent + io->lent_pos, n);
    io->lent_pos += n;
  } else if (n > 0) { /* send_buf.data may be NULL */
    memcpy(buf, io->send_buf.data + io->send_pos, n);
    io->send_pos += n;
  }
  if (!crpc_call_io_has_unsent_locked(io)) {
    if (!io->is_retained)
      io->send_buf.len = io->send_pos = 0;
    pthread_cond_broadcast(&io->cv); /* a writer may wait for room */
  }
}

size_t crpc_call_io_take_locked(crpc_call_io *io, uint8_t *buf, size_t max,
                                bool *is_drained, bool *is_later) {
  /* The lent bytes go first, alone. A count not copied yet belonged to a
   * frame that was dropped with its stream. */
  bool is_lent = has_unsent_lent(io);
  size_t unsent = is_lent ? io->lent_len - io->lent_pos
                          : io->send_buf.len - io->send_pos;
  size_t n = unsent < max ? unsent : max;
  io->later = 0;
  *is_later = n >= CRPC_CALL_IO_COPY_LATER;
  if (*is_later) {
    io->later = n;
    *is_drained = n == unsent && (!is_lent || io->send_pos == io->send_buf.len);
  } else {
    copy_out(io, buf, n);
    *is_drained = !crpc_call_io_has_unsent_locked(io);
  }
  return n;
}

void crpc_call_io_copy_later_locked(crpc_call_io *io, uint8_t *dest) {
  size_t n = io->later;
  io->later = 0;
  copy_out(io, dest, n);
}

bool crpc_call_io_has_room_locked(const crpc_call_io *io) {
  return io->send_buf.len - io->send_pos < CRPC_SEND_QUEUE_LIMIT;
}

size_t crpc_call_io_settle_window(crpc_call_io *io, bool is_paced) {
  /* A window never paced was never held, and no reader looks at it: a
   * unary call takes no lock here. */
  if (is_paced || io->was_paced) {
    io->was_paced = true;
    pthread_mutex_lock(&io->mu);
    bool hold = is_paced && io->received.bytes >= CRPC_RECV_QUEUE_LIMIT;
    io->is_window_held = hold;
    pthread_mutex_unlock(&io->mu);
    if (hold)
      return 0;
  }
  size_t n = io->window_held;
  io->window_held = 0;
  return n;
}

bool crpc_call_io_should_reopen_locked(crpc_call_io *io) {
  if (!io->is_window_held || io->is_window_posted ||
      io->received.bytes >= CRPC_RECV_QUEUE_LIMIT)
    return false;
  io->is_window_held = false;
  io->is_window_posted = true;
  return true;
}

size_t crpc_call_io_reopen_window(crpc_call_io *io) {
  pthread_mutex_lock(&io->mu);
  io->is_window_posted = false;
  pthread_mutex_unlock(&io->mu);
  size_t n = io->window_held;
  io->window_held = 0;
  return n;
}
