/*
 * wire/framing.h: gRPC Length-Prefixed-Message (PROTOCOL-HTTP2.md
 * "Requests"): a 1-byte Compressed-Flag, a 4-byte big-endian
 * Message-Length, then the message. HTTP/2 DATA frames are independent of
 * message boundaries: one frame may hold several messages or a piece of
 * one, which the deframer puts back together.
 */
#ifndef CRPC_WIRE_FRAMING_H
#define CRPC_WIRE_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "crpc/common.h"

#define CRPC_FRAME_HEADER_LEN 5

/* Writes the 5-byte prefix of a message of |len| bytes. */
void crpc_framing_write_header(uint8_t out[CRPC_FRAME_HEADER_LEN],
                               bool compressed, uint32_t len);

/*
 * Receives one complete message of |len| bytes (|msg| valid until the
 * callback returns; zero-length messages are delivered too). A non-OK
 * return stops the deframer, which returns that code.
 */
typedef crpc_code crpc_deframer_msg_cb(void *user_data, const uint8_t *msg,
                                       size_t len, bool compressed);

/* The struct is visible so it can be embedded; its fields are private. */
typedef struct crpc_deframer {
  size_t max_len; /* longest message accepted */
  uint8_t header[CRPC_FRAME_HEADER_LEN];
  size_t header_len;  /* prefix bytes received for the current message */
  uint32_t msg_len;   /* its length, once the prefix is complete */
  bool compressed;    /* its flag, once the prefix is complete */
  crpc_bytes partial; /* body of a message split across feeds */
  crpc_code failed;   /* CRPC_OK, or the error that stopped us */
} crpc_deframer;

/* Sets up |d| to accept messages of at most |max_len| bytes. */
void crpc_deframer_init(crpc_deframer *d, size_t max_len);

/* Frees what |d| buffered. */
void crpc_deframer_free(crpc_deframer *d);

/*
 * Feeds |len| bytes of DATA payload and calls |cb| once per message
 * completed, in order. A message lying wholly inside |data| is passed as a
 * pointer into |data| (no copy); only split messages are buffered.
 *
 * Returns CRPC_OK; RESOURCE_EXHAUSTED for a message longer than max_len or
 * when out of memory; INTERNAL for a Compressed-Flag other than 0 or 1; or
 * the non-OK code |cb| returned. |why| (NULL ok) gets the reason for the
 * deframer's own errors; for a callback's error it is left untouched. After
 * an error the deframer stays failed and every feed returns the same code.
 */
crpc_code crpc_deframer_feed(crpc_deframer *d, const uint8_t *data, size_t len,
                             crpc_deframer_msg_cb *cb, void *user_data,
                             crpc_status *why);

/*
 * True between messages: at end of stream, false means the peer sent a
 * truncated message.
 */
bool crpc_deframer_is_idle(const crpc_deframer *d);

#endif /* CRPC_WIRE_FRAMING_H */
