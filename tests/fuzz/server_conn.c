/*
 * tests/fuzz/server_conn.c: a whole server connection fed raw bytes.
 *
 * A real crpc_server serving crpctest.Test (tests/integration/testsvc.proto)
 * runs in this process. Each input is what a client sends after the
 * connection preface: it is written to a fresh loopback connection after
 * the preface and followed by a PING, and the target reads until the
 * server closes or answers that PING; without an answer in 20 ms it ends
 * its side and waits up to 200 ms for the server to close. Then it resets
 * the connection. The server must never crash, and must still serve a
 * well-formed call from a crpc channel afterwards: checked after the first
 * input and every CHECK_EVERY inputs (every input under replay), together
 * with its file descriptors, which must not pile up.
 */
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "net.h"
#include "testsvc.crpc.h"

#define CHECK_EVERY 100
#define READ_TIMEOUT_MS 200
#define PING_TIMEOUT_MS 20
#define FD_SLACK 64

static const uint8_t ping_payload[8] = "crpcfuzz";
static crpc_server *server;
static crpc_channel *channel;
static int port;
static unsigned long inputs;
static int baseline_fds;

static crpc_code run(crpc_server_call *call, const Crpctest__Ask *ask,
                     Crpctest__Answer *answer, void *user_data) {
  if (ask->echo_metadata) {
    const crpc_metadata *md = crpc_server_call_metadata(call);
    const char *key, *value;
    size_t len;
    for (size_t i = 0; crpc_metadata_at(md, i, &key, &value, &len); i++)
      if (crpc_server_call_add_header(call, key, value, len) != CRPC_OK ||
          crpc_server_call_add_trailer(call, key, value, len) != CRPC_OK)
        return crpc_server_call_fail(call, CRPC_INTERNAL, "cannot echo");
  }
  if (ask->code > 0 && ask->code <= 16)
    return crpc_server_call_fail(call, (crpc_code)ask->code, "%s",
                                 ask->message ? ask->message : "");
  answer->payload = ask->payload;
  return CRPC_OK;
}

static crpc_code stats(crpc_server_call *call, const Crpctest__Ask *ask,
                       Crpctest__Answer *answer, void *user_data) {
  answer->was_cancelled = crpc_server_call_is_cancelled(call);
  return CRPC_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  static const Crpctest__Test_Handlers handlers = {.run = run, .stats = stats};
  char target[64];

  setenv("CRPC_LOG", "error", 0); /* hostile input logs warnings */
  signal(SIGPIPE, SIG_IGN);
  FUZZ_CHECK(crpc_server_new(&server, NULL) == CRPC_OK);
  FUZZ_CHECK(crpctest__test__register_handlers(server, &handlers, NULL) ==
             CRPC_OK);
  FUZZ_CHECK(crpc_server_listen(server, "127.0.0.1:0", &port) == CRPC_OK);
  FUZZ_CHECK(crpc_server_start(server) == CRPC_OK);
  snprintf(target, sizeof(target), "ipv4:127.0.0.1:%d", port);
  FUZZ_CHECK(crpc_channel_new(&channel, target, NULL) == CRPC_OK);
  return 0;
}

/* The server still answers a well-formed call, and holds no stray fds. */
static void check_server(void) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_call_opts *opts;
  crpc_status st;
  int fds = -1;

  FUZZ_CHECK(crpc_call_opts_new(&opts) == CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 5000);
  ask.payload.data = (uint8_t *)"still serving";
  ask.payload.len = 13;
  if (crpctest__test__run__call(channel, &ask, &answer, opts, &st) !=
      CRPC_OK) {
    fprintf(stderr, "server_conn: well-formed call failed: %s: %s\n",
            crpc_code_name(st.code), st.message);
    abort();
  }
  FUZZ_CHECK(answer->payload.len == 13 &&
             memcmp(answer->payload.data, "still serving", 13) == 0);
  crpctest__answer__free_unpacked(answer, NULL);
  crpc_call_opts_free(opts);

  /* Closed connections may take the server a moment to notice. */
  for (int i = 0; i < 100; i++) {
    fds = fuzz_net_fd_count();
    if (baseline_fds == 0)
      baseline_fds = fds;
    if (fds <= baseline_fds + FD_SLACK)
      return;
    usleep(10000);
  }
  fprintf(stderr, "server_conn: %d fds open, %d at the start\n", fds,
          baseline_fds);
  abort();
}

static bool ping_answered(const crpc_bytes *in, void *arg) {
  return fuzz_net_find_frame(in->data, in->len, 6 /* PING */, 1 /* ACK */,
                             ping_payload, sizeof(ping_payload));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t ping_header[9] = {0, 0, 8, 6, 0, 0, 0, 0, 0};
  size_t len = FUZZ_H2_MAGIC_LEN + size + sizeof(ping_header) + 8;
  uint8_t *out = malloc(len);
  crpc_bytes in;
  int fd;

  FUZZ_CHECK(out != NULL);
  memcpy(out, FUZZ_H2_MAGIC, FUZZ_H2_MAGIC_LEN);
  memcpy(out + FUZZ_H2_MAGIC_LEN, data, size);
  memcpy(out + FUZZ_H2_MAGIC_LEN + size, ping_header, sizeof(ping_header));
  memcpy(out + len - 8, ping_payload, 8);

  fd = fuzz_net_connect(port);
  FUZZ_CHECK(fd >= 0); /* the listener must keep accepting */
  crpc_bytes_init(&in);
  /* A PING answered means the server got through the input. Input that
   * swallows the PING (a frame cut short) ends with our end of stream. */
  if (fuzz_net_write(fd, out, len, &in, READ_TIMEOUT_MS) &&
      !fuzz_net_read(fd, &in, PING_TIMEOUT_MS, ping_answered, NULL) &&
      !ping_answered(&in, NULL)) {
    shutdown(fd, SHUT_WR);
    fuzz_net_read(fd, &in, READ_TIMEOUT_MS, NULL, NULL);
  }
  fuzz_net_abort(fd);
  crpc_bytes_free(&in);
  free(out);

  inputs++;
  if (inputs == 1 || inputs % CHECK_EVERY == 0 ||
      FUZZ_REPLAYING())
    check_server();
  return 0;
}
