/*
 * call/message.h: protobuf messages in and out of gRPC frames, and the
 * received-message queue both sides of a call share.
 */
#ifndef CRPC_MESSAGE_H
#define CRPC_MESSAGE_H

#include <protobuf-c/protobuf-c.h>

#include "base/arena.h"
#include "base/bytes.h"
#include "crpc/common.h"
#include "wire/compress.h"

/*
 * Appends |msg| as one Length-Prefixed-Message to |out|, compressed with
 * |enc| unless that is identity.
 */
crpc_code crpc_message_frame(const ProtobufCMessage *msg, crpc_encoding enc,
                             crpc_bytes *out);

/*
 * Frames |msg| uncompressed in |arena|: *out and *len, valid as long as the
 * arena. RESOURCE_EXHAUSTED when out of memory.
 */
crpc_code crpc_message_frame_in_arena(const ProtobufCMessage *msg,
                                      crpc_arena *arena, const uint8_t **out,
                                      size_t *len);

/*
 * A received message as the application should see it: unchanged when not
 * |compressed|, else decompressed with |enc| into |scratch| (at most
 * |max_len| bytes), *data and *len pointing there. INTERNAL for a
 * compressed message on a stream without grpc-encoding or for corrupt
 * data, RESOURCE_EXHAUSTED past |max_len|.
 */
crpc_code crpc_message_inflate(crpc_encoding enc, bool compressed,
                               const uint8_t **data, size_t *len,
                               size_t max_len, crpc_bytes *scratch,
                               crpc_status *why);

/*
 * Decodes |len| bytes as a |desc| message allocated with |alloc| (NULL for
 * malloc). INTERNAL with a message in |why| if the bytes do not parse.
 */
crpc_code crpc_message_unpack(const ProtobufCMessageDescriptor *desc,
                              const uint8_t *data, size_t len,
                              ProtobufCAllocator *alloc,
                              ProtobufCMessage **out, crpc_status *why);

/* A received message's bytes, queued until the application reads it. */
typedef struct crpc_rmsg {
  struct crpc_rmsg *next;
  bool was_compressed; /* on the wire */
  bool is_in_arena;    /* freed with the arena, not by crpc_rmsg_free() */
  size_t len;
  uint8_t data[];
} crpc_rmsg;

typedef struct crpc_rmsg_queue {
  crpc_rmsg *head;
  crpc_rmsg **tail;
  size_t count;
  size_t bytes; /* sum of the queued messages' lengths */
} crpc_rmsg_queue;

/*
 * Receive flow control for streams the application reads one message at a
 * time: past this many unread bytes the HTTP/2 window stays closed until
 * the application catches up, so a slow reader holds back the writer
 * instead of buffering without bound.
 */
#define CRPC_RECV_QUEUE_LIMIT (1024 * 1024)

void crpc_rmsg_queue_init(crpc_rmsg_queue *q);
/*
 * Copies |len| bytes into a new queued message, allocated from |arena| (a
 * call's one reply, which lives as long as the call) or, with |arena| NULL,
 * on the heap.
 */
crpc_code crpc_rmsg_queue_push(crpc_rmsg_queue *q, crpc_arena *arena,
                               const uint8_t *data, size_t len,
                               bool was_compressed);
/* The oldest message (the caller frees it with crpc_rmsg_free), or NULL. */
crpc_rmsg *crpc_rmsg_queue_pop(crpc_rmsg_queue *q);
void crpc_rmsg_free(crpc_rmsg *m);
void crpc_rmsg_queue_clear(crpc_rmsg_queue *q);

#endif /* CRPC_MESSAGE_H */
