/*
 * tests/fuzz/client_conn.c: the client side of a connection fed server
 * bytes.
 *
 * A fake server listens on loopback. For each input a fresh channel makes
 * one unary crpctest.Test/Run call (1 s deadline, capturing response
 * metadata); the fake server accepts, reads the client's preface up to its
 * request HEADERS, answers with the input verbatim (server SETTINGS,
 * HEADERS, DATA, trailers: whatever the fuzzer made) and closes its side.
 * The call must finish exactly once, within its deadline, with a status of
 * the gRPC range and a reply only when OK.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "net.h"
#include "testsvc.crpc.h"

#define CALL_TIMEOUT_MS 1000
#define PREFACE_TIMEOUT_MS 1000
/* The deadline fires on time, give or take a busy sanitized loop. */
#define DONE_TIMEOUT_MS 5000

typedef struct outcome {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done_count;
  ProtobufCMessage *reply;
  crpc_status status;
} outcome;

static int listen_fd = -1;
static char target[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  int port;

  setenv("CRPC_LOG", "error", 0);
  signal(SIGPIPE, SIG_IGN);
  listen_fd = fuzz_net_listen(&port);
  FUZZ_CHECK(listen_fd >= 0);
  snprintf(target, sizeof(target), "ipv4:127.0.0.1:%d", port);
  return 0;
}

static crpc_unary_done_cb on_done;
static void on_done(void *user_data, ProtobufCMessage *reply,
                    const crpc_status *status) {
  outcome *o = user_data;

  pthread_mutex_lock(&o->mu);
  o->done_count++;
  o->reply = reply;
  o->status = *status;
  pthread_cond_signal(&o->cv);
  pthread_mutex_unlock(&o->mu);
}

/* The client's magic, then frames up to and including a HEADERS frame. */
static bool saw_request(const crpc_bytes *in, void *arg) {
  return in->len > FUZZ_H2_MAGIC_LEN &&
         fuzz_net_find_frame(in->data + FUZZ_H2_MAGIC_LEN,
                             in->len - FUZZ_H2_MAGIC_LEN, 1 /* HEADERS */, 0,
                             NULL, 0);
}

/* Waits for the call to finish; resets *fd once the client closed it. */
static bool wait_done(outcome *o, int *fd, crpc_bytes *in) {
  struct timespec start, now;

  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    pthread_mutex_lock(&o->mu);
    int done = o->done_count;
    pthread_mutex_unlock(&o->mu);
    if (done)
      return true;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed = (now.tv_sec - start.tv_sec) * 1000 +
                   (now.tv_nsec - start.tv_nsec) / 1000000;
    if (elapsed > DONE_TIMEOUT_MS)
      return false;
    /* Keep reading, so a client writing its request never blocks. */
    if (*fd < 0) {
      usleep(1000);
    } else if (fuzz_net_read(*fd, in, 5, NULL, NULL)) {
      fuzz_net_abort(*fd);
      *fd = -1;
    }
    in->len = 0;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  outcome o = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL,
               {CRPC_OK, ""}};
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  crpc_metadata *headers, *trailers;
  crpc_channel *channel;
  crpc_call_opts *opts;
  crpc_bytes in;
  int fd;

  FUZZ_CHECK(crpc_channel_new(&channel, target, NULL) == CRPC_OK);
  FUZZ_CHECK(crpc_call_opts_new(&opts) == CRPC_OK);
  FUZZ_CHECK(crpc_metadata_new(&headers) == CRPC_OK);
  FUZZ_CHECK(crpc_metadata_new(&trailers) == CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, CALL_TIMEOUT_MS);
  crpc_call_opts_capture_metadata(opts, headers, trailers);
  FUZZ_CHECK(crpc_call_opts_add_metadata(opts, "x-fuzz", "1", 1) == CRPC_OK);
  ask.payload.data = (uint8_t *)"hi";
  ask.payload.len = 2;
  FUZZ_CHECK(crpctest__test__run__call_async(channel, &ask, opts, on_done,
                                             &o) == CRPC_OK);

  crpc_bytes_init(&in);
  fd = fuzz_net_accept(listen_fd, PREFACE_TIMEOUT_MS);
  FUZZ_CHECK(fd >= 0); /* the channel connects for its first call */
  fuzz_net_read(fd, &in, PREFACE_TIMEOUT_MS, saw_request, NULL);
  FUZZ_CHECK(in.len >= FUZZ_H2_MAGIC_LEN &&
             memcmp(in.data, FUZZ_H2_MAGIC, FUZZ_H2_MAGIC_LEN) == 0);
  if (fuzz_net_write(fd, data, size, &in, CALL_TIMEOUT_MS))
    shutdown(fd, SHUT_WR);

  if (!wait_done(&o, &fd, &in)) {
    fprintf(stderr, "client_conn: call not finished %d ms after its %d ms "
                    "deadline\n", DONE_TIMEOUT_MS, CALL_TIMEOUT_MS);
    abort();
  }
  if (fd >= 0)
    fuzz_net_abort(fd);
  crpc_channel_free(channel);

  FUZZ_CHECK(o.done_count == 1);
  FUZZ_CHECK(o.status.code >= CRPC_OK && o.status.code <= CRPC_UNAUTHENTICATED);
  FUZZ_CHECK(memchr(o.status.message, 0, sizeof(o.status.message)) != NULL);
  FUZZ_CHECK((o.status.code == CRPC_OK) == (o.reply != NULL));
  if (o.reply != NULL)
    protobuf_c_message_free_unpacked(o.reply, NULL);
  crpc_metadata_free(trailers);
  crpc_metadata_free(headers);
  crpc_call_opts_free(opts);
  crpc_bytes_free(&in);
  return 0;
}
