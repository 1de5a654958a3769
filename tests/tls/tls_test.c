/*
 * tests/tls/tls_test.c: TLS and mutual TLS between crpc channels and
 * tls_server, a real process on loopback, with certificates that
 * make_certs.sh makes in a temporary directory before the tests run.
 *
 * Every failure must fail its own connection only: calls end UNAVAILABLE
 * naming the reason, the server logs a line naming it, and the server goes
 * on serving (each failure test ends with a call that works).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "testsvc.crpc.h"

/* Made once by the runner; each test runs in a new process and finds the
 * directory in the environment. */
static char certs[256];
static char logpath[300];
static test_proc server;

ReportHook(PRE_ALL)(struct criterion_test_set *set) {
  const char *src = getenv("top_srcdir");
  char cmd[1024];
  snprintf(certs, sizeof(certs), "%s/crpc-tls.XXXXXX",
           getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(certs) == NULL)
    abort();
  snprintf(cmd, sizeof(cmd), "sh %s/tests/tls/make_certs.sh %s",
           src != NULL ? src : ".", certs);
  if (system(cmd) != 0) {
    fprintf(stderr, "make_certs.sh failed\n");
    abort();
  }
  setenv("CRPC_TLS_TEST_CERTS", certs, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", certs);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", certs);
}

/* certs/name, in a static ring so a few can be used at once. */
static const char *cert(const char *name) {
  static char paths[8][320];
  static int next;
  char *p = paths[next++ % 8];
  if (certs[0] == '\0' && getenv("CRPC_TLS_TEST_CERTS") != NULL)
    snprintf(certs, sizeof(certs), "%s", getenv("CRPC_TLS_TEST_CERTS"));
  snprintf(p, 320, "%s/%s", certs, name);
  return p;
}

/* Starts tls_server with |args| (space-separated) and its log at logpath. */
static void start_server(const char *args) {
  char path[512], log[340], line[1024];
  char *argv[16];
  int argc = 0;
  snprintf(path, sizeof(path), "%s/tests/tls/tls_server", test_builddir());
  snprintf(logpath, sizeof(logpath), "%sserver-%d.log", cert(""), getpid());
  snprintf(log, sizeof(log), "--log=%s", logpath);
  snprintf(line, sizeof(line), "%s", args);
  argv[argc++] = path;
  argv[argc++] = log;
  for (char *save, *arg = strtok_r(line, " ", &save); arg != NULL && argc < 15;
       arg = strtok_r(NULL, " ", &save))
    argv[argc++] = arg;
  argv[argc] = NULL;
  cr_assert(test_proc_start(&server, argv), "tls_server did not start");
}

static void start_tls_server(const char *extra) {
  char args[900];
  snprintf(args, sizeof(args), "--cert=%s --key=%s %s", cert("server.pem"),
           cert("server.key"), extra != NULL ? extra : "");
  start_server(args);
}

static void teardown(void) {
  if (server.pid > 0)
    test_proc_stop(&server, SIGINT);
}

TestSuite(tls, .fini = teardown, .timeout = 60);

/* Whether the server's log holds |text|, waiting up to 3 s for it. */
static bool log_has(const char *text) {
  for (int i = 0; i < 300; i++) {
    FILE *f = fopen(logpath, "r");
    char line[1024];
    bool found = false;
    while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
      found = strstr(line, text) != NULL;
    if (f != NULL)
      fclose(f);
    if (found)
      return true;
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  }
  return false;
}

typedef struct client_conf {
  const char *host;     /* default "localhost" */
  const char *ca;       /* a file under certs; NULL: plaintext */
  const char *override; /* server name override */
  const char *cert;     /* client certificate and key, by base name */
  bool ca_in_memory;
} client_conf;

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  char *buf = malloc(65536);
  *len = fread(buf, 1, 65536, f);
  fclose(f);
  return buf;
}

static crpc_channel *channel_for(const client_conf *c) {
  char target[300];
  crpc_channel_opts *opts;
  crpc_channel *ch;
  crpc_status why = {0};
  snprintf(target, sizeof(target), "%s:%d",
           c->host != NULL ? c->host : "localhost", server.port);
  cr_assert_eq(crpc_channel_opts_new(&opts), CRPC_OK);
  if (c->ca != NULL) {
    crpc_tls_opts *tls;
    crpc_channel_credentials *creds;
    cr_assert_eq(crpc_tls_opts_new(&tls), CRPC_OK);
    if (c->ca_in_memory) {
      size_t len;
      char *pem = slurp(cert(c->ca), &len);
      cr_assert_eq(crpc_tls_opts_set_ca_pem(tls, pem, len), CRPC_OK);
      free(pem);
    } else {
      cr_assert_eq(crpc_tls_opts_set_ca_file(tls, cert(c->ca)), CRPC_OK);
    }
    if (c->override != NULL)
      cr_assert_eq(crpc_tls_opts_set_server_name_override(tls, c->override),
                   CRPC_OK);
    if (c->cert != NULL) {
      char pem[64], key[64];
      snprintf(pem, sizeof(pem), "%s.pem", c->cert);
      snprintf(key, sizeof(key), "%s.key", c->cert);
      cr_assert_eq(crpc_tls_opts_set_cert_files(tls, cert(pem), cert(key)),
                   CRPC_OK);
    }
    cr_assert_eq(crpc_channel_credentials_new_tls(&creds, tls, &why), CRPC_OK,
                 "%s", why.message);
    crpc_tls_opts_free(tls);
    crpc_channel_opts_set_credentials(opts, creds);
    crpc_channel_credentials_free(creds); /* the options hold a reference */
  }
  cr_assert_eq(crpc_channel_new(&ch, target, opts), CRPC_OK);
  crpc_channel_opts_free(opts);
  return ch;
}

/* One Run call; *text gets the reply payload as a string (caller frees). */
static crpc_code call(crpc_channel *ch, const char *message, size_t payload_len,
                      crpc_status *st, char **text) {
  Crpctest__Ask ask = CRPCTEST__ASK__INIT;
  Crpctest__Answer *answer = NULL;
  crpc_call_opts *opts;
  uint8_t *payload = calloc(1, payload_len + 1);
  for (size_t i = 0; i < payload_len; i++)
    payload[i] = (uint8_t)(i * 13);
  ask.message = (char *)message;
  ask.payload.data = payload;
  ask.payload.len = payload_len;
  cr_assert_eq(crpc_call_opts_new(&opts), CRPC_OK);
  crpc_call_opts_set_timeout_ms(opts, 10000);
  crpc_code code = crpctest__test__run__call(ch, &ask, &answer, opts, st);
  crpc_call_opts_free(opts);
  if (code == CRPC_OK) {
    cr_assert_eq(answer->payload.len,
                 message != NULL ? answer->payload.len : payload_len);
    if (message == NULL)
      cr_assert(payload_len == 0 ||
                memcmp(answer->payload.data, payload, payload_len) == 0);
    if (text != NULL) {
      *text = malloc(answer->payload.len + 1);
      memcpy(*text, answer->payload.data, answer->payload.len);
      (*text)[answer->payload.len] = '\0';
    }
    crpctest__answer__free_unpacked(answer, NULL);
  }
  free(payload);
  return code;
}

/* A call on a fresh channel per |c| must work. */
static void expect_ok(const client_conf *c) {
  crpc_channel *ch = channel_for(c);
  crpc_status st;
  cr_assert_eq(call(ch, NULL, 100, &st, NULL), CRPC_OK, "%s", st.message);
  crpc_channel_free(ch);
}

/* A call on a fresh channel per |c| must fail UNAVAILABLE saying |why|. */
static void expect_unavailable(const client_conf *c, const char *why) {
  crpc_channel *ch = channel_for(c);
  crpc_status st;
  cr_assert_eq(call(ch, NULL, 100, &st, NULL), CRPC_UNAVAILABLE, "%s: %s",
               crpc_code_name(st.code), st.message);
  cr_log_info("UNAVAILABLE: %s", st.message);
  cr_assert(strstr(st.message, why) != NULL, "'%s' lacks '%s'", st.message,
            why);
  crpc_channel_free(ch);
}

static const client_conf trusting = {.ca = "ca.pem"};

Test(tls, round_trips_payloads_of_every_size) {
  static const size_t sizes[] = {0,     1,           16000,
                                 70000, 1024 * 1024, 4 * 1024 * 1024 - 64};
  start_tls_server(NULL);
  crpc_channel *ch = channel_for(&trusting);
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    crpc_status st;
    cr_assert_eq(call(ch, NULL, sizes[i], &st, NULL), CRPC_OK, "%zu: %s",
                 sizes[i], st.message);
  }
  crpc_channel_free(ch);
}

Test(tls, many_concurrent_calls_share_one_connection) {
  start_tls_server(NULL);
  crpc_channel *ch = channel_for(&trusting);
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < 20; i++) {
      crpc_status st;
      cr_assert_eq(call(ch, NULL, (size_t)(i * 3000), &st, NULL), CRPC_OK, "%s",
                   st.message);
    }
  crpc_channel_free(ch);
}

Test(tls, trusts_a_ca_given_in_memory) {
  start_tls_server(NULL);
  expect_ok(&(client_conf){.ca = "ca.pem", .ca_in_memory = true});
}

Test(tls, verifies_ip_addresses_and_name_overrides) {
  start_tls_server(NULL);
  expect_ok(&(client_conf){.ca = "ca.pem", .host = "127.0.0.1"});
  expect_ok(&(client_conf){
      .ca = "ca.pem", .host = "127.0.0.1", .override = "foo.test.example"});
}

Test(tls, refuses_a_wrong_hostname) {
  start_tls_server(NULL);
  expect_unavailable(
      &(client_conf){.ca = "ca.pem", .override = "wrong.example"},
      "hostname mismatch (expected wrong.example)");
  expect_unavailable(
      &(client_conf){.ca = "ca.pem", .override = "a.b.test.example"},
      "hostname mismatch");
  cr_assert(log_has("connection from"), "no server log line");
  expect_ok(&trusting);
}

Test(tls, refuses_an_untrusted_ca) {
  start_tls_server(NULL);
  expect_unavailable(&(client_conf){.ca = "other_ca.pem"},
                     "certificate verify failed: unable to get local issuer");
  cr_assert(log_has("unknown ca"), "no server log line");
  expect_ok(&trusting);
}

Test(tls, refuses_an_expired_certificate) {
  char args[900];
  snprintf(args, sizeof(args), "--cert=%s --key=%s", cert("expired.pem"),
           cert("expired.key"));
  start_server(args);
  expect_unavailable(&trusting, "certificate has expired");
  cr_assert(log_has("certificate expired"), "no server log line");
}

Test(tls, plaintext_client_to_tls_server_fails_and_server_goes_on) {
  start_tls_server(NULL);
  expect_unavailable(&(client_conf){0}, "TLS");
  cr_assert(log_has("a plaintext HTTP/2 client on a TLS port"),
            "no server log line");
  expect_ok(&trusting);
}

Test(tls, tls_client_to_plaintext_server_fails) {
  start_server("--plaintext");
  expect_unavailable(&trusting, "does not speak TLS");
  cr_assert(log_has("a TLS client on a plaintext port"), "no server log line");
  expect_ok(&(client_conf){0});
}

/* A raw TCP connection to the server, or -1. */
static int raw_connect(void) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)server.port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert(fd >= 0);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return fd;
}

/* Whether the server closes |fd| within |ms| (reading whatever comes). */
static bool closed_within(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  char buf[512];
  int64_t until = crpc_now_ms() + ms;
  while (crpc_now_ms() < until) {
    if (poll(&p, 1, 50) > 0) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0)
        return true;
    }
  }
  return false;
}

Test(tls, garbage_instead_of_client_hello_fails_that_connection_only) {
  start_tls_server(NULL);
  int fd = raw_connect();
  static const char garbage[] = "\x01\x02\x03 this is not a ClientHello at "
                                "all, just bytes\r\n\r\n";
  cr_assert_eq(write(fd, garbage, sizeof(garbage) - 1),
               (ssize_t)sizeof(garbage) - 1);
  cr_assert(closed_within(fd, 3000), "the server kept the connection");
  close(fd);
  cr_assert(log_has("not a TLS ClientHello"), "no server log line");
  expect_ok(&trusting);
}

Test(tls, handshake_timeout_closes_a_silent_connection_only) {
  start_tls_server("--handshake_timeout_ms=400");
  int fd = raw_connect();
  /* Meanwhile the loop serves others: the handshake never blocks it. */
  expect_ok(&trusting);
  cr_assert(closed_within(fd, 3000), "no handshake timeout");
  close(fd);
  cr_assert(log_has("handshake timed out after 400 ms"), "no log line");
  expect_ok(&trusting);
}

Test(tls, mutual_tls_shows_the_client_identity) {
  char args[600];
  snprintf(args, sizeof(args), "--ca=%s --require_client_cert", cert("ca.pem"));
  start_tls_server(args);
  crpc_channel *ch =
      channel_for(&(client_conf){.ca = "ca.pem", .cert = "client"});
  crpc_status st;
  char *text = NULL;
  cr_assert_eq(call(ch, "whoami", 0, &st, &text), CRPC_OK, "%s", st.message);
  cr_assert_str_eq(text, "CN=test-client,O=crpc tests|"
                         "URI:spiffe://crpc.test/client|DNS:client.test");
  free(text);
  crpc_channel_free(ch);
}

Test(tls, mutual_tls_refuses_clients_without_a_trusted_certificate) {
  char args[600];
  snprintf(args, sizeof(args), "--ca=%s --require_client_cert", cert("ca.pem"));
  start_tls_server(args);
  expect_unavailable(&trusting, "certificate required");
  cr_assert(log_has("did not return a certificate"), "no server log line");
  expect_unavailable(&(client_conf){.ca = "ca.pem", .cert = "other_client"},
                     "unknown ca");
  cr_assert(log_has("certificate verify failed"), "no server log line");
  expect_ok(&(client_conf){.ca = "ca.pem", .cert = "client"});
}

Test(tls, without_client_certificates_there_is_no_identity) {
  start_tls_server(NULL);
  crpc_channel *ch = channel_for(&trusting);
  crpc_status st;
  char *text = NULL;
  cr_assert_eq(call(ch, "whoami", 0, &st, &text), CRPC_OK, "%s", st.message);
  cr_assert_str_eq(text, "none");
  free(text);
  crpc_channel_free(ch);
}

static void copy_file(const char *from, const char *to) {
  size_t len;
  char *data = slurp(from, &len);
  FILE *f = fopen(to, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, len, f), len);
  fclose(f);
  free(data);
}

Test(tls, reloaded_certificates_serve_new_connections) {
  char args[900], live_pem[320], live_key[320];
  snprintf(live_pem, sizeof(live_pem), "%slive-%d.pem", cert(""), getpid());
  snprintf(live_key, sizeof(live_key), "%slive-%d.key", cert(""), getpid());
  copy_file(cert("server.pem"), live_pem);
  copy_file(cert("server.key"), live_key);
  snprintf(args, sizeof(args), "--cert=%s --key=%s", live_pem, live_key);
  start_server(args);

  crpc_channel *old = channel_for(&trusting);
  crpc_status st;
  cr_assert_eq(call(old, NULL, 10, &st, NULL), CRPC_OK, "%s", st.message);
  expect_unavailable(&(client_conf){.ca = "other_ca.pem"},
                     "certificate verify failed");

  copy_file(cert("other_server.pem"), live_pem);
  copy_file(cert("other_server.key"), live_key);
  kill(server.pid, SIGHUP);
  cr_assert(log_has("tls_server: reloaded"), "no reload");
  expect_ok(&(client_conf){.ca = "other_ca.pem"});
  expect_unavailable(&trusting, "certificate verify failed");
  /* The connection made before keeps its certificate. */
  cr_assert_eq(call(old, NULL, 10, &st, NULL), CRPC_OK, "%s", st.message);
  crpc_channel_free(old);
  unlink(live_pem);
  unlink(live_key);
}

/* openssl s_server, which negotiates no ALPN unless asked. */
static pid_t openssl_server(int port) {
  char accept[16];
  snprintf(accept, sizeof(accept), "%d", port);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", 0);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    execlp("openssl", "openssl", "s_server", "-quiet", "-accept", accept,
           "-cert", cert("server.pem"), "-key", cert("server.key"), NULL);
    _exit(127);
  }
  return pid;
}

Test(tls, refuses_a_server_that_does_not_negotiate_h2) {
  /* A free port: bind to 0, read it, release it for s_server. */
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  server.port = ntohs(a.sin_port);
  pid_t pid = openssl_server(server.port);
  for (int i = 0; i < 100; i++) { /* wait until it listens */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
      close(fd);
      break;
    }
    close(fd);
    nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
  }
  crpc_channel *ch = channel_for(&trusting);
  crpc_status st;
  crpc_code code = call(ch, NULL, 10, &st, NULL);
  crpc_channel_free(ch);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  cr_assert_eq(code, CRPC_UNAVAILABLE, "%s", st.message);
  cr_assert(strstr(st.message, "did not negotiate ALPN h2") != NULL, "%s",
            st.message);
}

/* Setup errors, no server needed. */

Test(tls, bad_credentials_are_invalid_arguments) {
  crpc_tls_opts *tls;
  crpc_channel_credentials *cc = NULL;
  crpc_server_credentials *sc = NULL;
  crpc_status why;
  cr_assert_eq(crpc_tls_opts_new(&tls), CRPC_OK);
  cr_assert_eq(crpc_server_credentials_new_tls(&sc, tls, &why),
               CRPC_INVALID_ARGUMENT);
  cr_assert(strstr(why.message, "certificate") != NULL, "%s", why.message);
  cr_assert_eq(
      crpc_tls_opts_set_cert_files(tls, cert("server.pem"), cert("client.key")),
      CRPC_OK);
  cr_assert_eq(crpc_server_credentials_new_tls(&sc, tls, &why),
               CRPC_INVALID_ARGUMENT);
  cr_assert(strstr(why.message, "private key") != NULL, "%s", why.message);
  cr_assert_eq(crpc_tls_opts_set_ca_file(tls, "/nonexistent/ca.pem"), CRPC_OK);
  cr_assert_eq(crpc_channel_credentials_new_tls(&cc, tls, &why),
               CRPC_INVALID_ARGUMENT);
  cr_assert(strstr(why.message, "/nonexistent/ca.pem") != NULL, "%s",
            why.message);
  cr_assert_eq(crpc_tls_opts_set_ca_pem(tls, "garbage", 7), CRPC_OK);
  cr_assert_eq(crpc_channel_credentials_new_tls(&cc, tls, &why),
               CRPC_INVALID_ARGUMENT);
  cr_assert_null(cc);
  cr_assert_null(sc);
  crpc_tls_opts_set_require_client_cert(tls, true);
  crpc_tls_opts_free(tls);

  cr_assert_eq(crpc_tls_opts_new(&tls), CRPC_OK);
  cr_assert_eq(
      crpc_tls_opts_set_cert_files(tls, cert("server.pem"), cert("server.key")),
      CRPC_OK);
  crpc_tls_opts_set_require_client_cert(tls, true);
  cr_assert_eq(crpc_server_credentials_new_tls(&sc, tls, &why),
               CRPC_INVALID_ARGUMENT);
  cr_assert(strstr(why.message, "CA") != NULL, "%s", why.message);
  crpc_tls_opts_free(tls);

  cr_assert_eq(crpc_server_credentials_new_insecure(&sc), CRPC_OK);
  cr_assert_eq(crpc_server_credentials_reload(sc, NULL, &why),
               CRPC_INVALID_ARGUMENT);
  crpc_server_credentials_free(sc);
  cr_assert_eq(crpc_channel_credentials_new_tls(&cc, NULL, &why), CRPC_OK,
               "system roots: %s", why.message);
  crpc_channel_credentials_free(cc);
}

Test(tls, refuses_clients_that_do_not_offer_h2) {
  char cmd[1200];
  start_tls_server(NULL);
  snprintf(cmd, sizeof(cmd),
           "openssl s_client -connect 127.0.0.1:%d -CAfile %s -alpn http/1.1 "
           "</dev/null >/dev/null 2>&1; "
           "openssl s_client -connect 127.0.0.1:%d -CAfile %s "
           "</dev/null >/dev/null 2>&1",
           server.port, cert("ca.pem"), server.port, cert("ca.pem"));
  cr_assert_neq(system(cmd), -1);
  cr_assert(log_has("the client did not offer ALPN h2"), "no log line");
  cr_assert(log_has("the client did not negotiate ALPN h2"), "no log line");
  expect_ok(&trusting);
}
