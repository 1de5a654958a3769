/*
 * examples/user-order/common/app.h: what the three services and order-cli
 * share: transport-security flags, serving until SIGTERM, money formatting.
 * Written against crpc's public API only, like any application.
 */
#ifndef UO_APP_H
#define UO_APP_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <crpc/crpc.h>

/* How long calls in flight may take to finish once asked to stop. */
#define UO_SHUTDOWN_GRACE_MS 5000

/*
 * Transport security, the same flags on every program:
 *   --tls-dir DIR   mutual TLS (the default, DIR "certs"): DIR/ca.pem is
 *                   the dev CA every peer must chain to, DIR/NAME.pem and
 *                   DIR/NAME-key.pem this program's certificate and key
 *                   (NAME: user-service, product-service, order-service,
 *                   order-cli). examples/user-order/dev_env.sh makes them.
 *   --plaintext     no TLS (local debugging)
 */
#define UO_TLS_DIR_DEFAULT "certs"

struct uo_security {
  bool is_plaintext;
  const char *tls_dir; /* UO_TLS_DIR_DEFAULT unless --tls-dir */
};

/*
 * Checks the security flags for program |name| before anything starts:
 * prints why and returns -1 when TLS is asked for and DIR/ca.pem cannot be
 * read.
 */
int uo_security_check(const char *name, const struct uo_security *security);

/*
 * The flags every service takes: --host, --port, --db, --plaintext,
 * --tls-dir and --help. A service puts UO_SERVICE_OPTIONS in its
 * getopt_long table, fills in its defaults, handles its own options and
 * passes every other one to uo_service_option(); after the loop,
 * uo_service_flags_check().
 */
struct uo_service_flags {
  const char *host;
  int64_t port;
  const char *db_path;
  struct uo_security security;
};
/* clang-format off */
#define UO_SERVICE_OPTIONS                    \
  {"host", required_argument, NULL, 'h'},     \
  {"port", required_argument, NULL, 'p'},     \
  {"db", required_argument, NULL, 'd'},       \
  {"plaintext", no_argument, NULL, 'P'},      \
  {"tls-dir", required_argument, NULL, 'T'},  \
  {"help", no_argument, NULL, 'H'}
/* clang-format on */

/* What uo_service_option() and uo_service_flags_check() return to go on;
 * anything else is the exit status for main. */
#define UO_CONTINUE (-1)

/* Takes option |opt| (getopt_long's result, |arg| its optarg); prints
 * |usage| for --help (status 0) or an unknown option (status 2). */
int uo_service_option(const char *name, int opt, const char *arg,
                      struct uo_service_flags *flags, void (*usage)(FILE *out));

/* No arguments may follow the options (|optind| of |argc|), and the
 * security flags must be usable (uo_security_check). */
int uo_service_flags_check(const char *name, int argc, int optind,
                           const struct uo_service_flags *flags,
                           void (*usage)(FILE *out));

/*
 * A channel to |target| (any crpc target; the services use
 * "dns://127.0.0.1:5353/users.svc.test:7001"), secured per |security|:
 * with TLS it trusts DIR/ca.pem and presents DIR/|name|.pem when that file
 * exists (a client without it is refused by the services, which is what
 * the tests check). |service_config| is gRPC service config JSON, or NULL.
 * Prints the reason on failure.
 */
crpc_code uo_channel_new(crpc_channel **out, const char *name,
                         const char *target, const struct uo_security *security,
                         const char *service_config);

/*
 * A server secured per |security| (TLS with DIR/|name|.pem, client
 * certificates required), serving server reflection and grpc.health.v1 so
 * that grpcurl, buf curl and probes need no .proto files. Register the
 * services on out->server, then call uo_serve(); free with
 * uo_server_free(). Prints the reason and returns -1 on failure.
 */
struct uo_server {
  crpc_server *server;
  crpc_health *health;
};
int uo_server_new(struct uo_server *out, const char *name,
                  const struct uo_security *security);
void uo_server_free(struct uo_server *server);

/*
 * Blocks SIGINT, SIGTERM and SIGUSR1 in the calling thread, which every
 * thread started afterwards (crpc's I/O and handler threads) inherits, so
 * that uo_serve() takes them with sigwait(). Call first thing in main.
 */
void uo_block_signals(void);

/* Called by uo_serve() on SIGUSR1 (product-service toggles its delay). */
typedef void uo_signal_cb(void *user_data);

/*
 * Listens on |host|:|port| (0 for a free port), starts |server| (services
 * registered), reports every registered service SERVING to health checks
 * and prints "NAME: listening on HOST:PORT" on stdout, the line scripts
 * wait for. Then waits for SIGINT or SIGTERM, running |on_usr1| (may be
 * NULL) on SIGUSR1, and shuts down gracefully (health turns NOT_SERVING
 * first). Returns the exit status: 0 after a clean shutdown, 1 if the
 * server could not start.
 */
int uo_serve(const char *name, struct uo_server *server, const char *host,
             int port, uo_signal_cb *on_usr1, void *user_data);

/* Parses a decimal integer in [min, max]; -1 when |s| is not one. */
int uo_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* "18.90 EUR" for 1890 minor units of EUR, into |buf|; returns |buf|. */
char *uo_format_money(char *buf, size_t len, int64_t minor,
                      const char *currency);

/* Milliseconds since the Unix epoch (wall clock, for timestamps only). */
int64_t uo_unix_ms(void);

#endif /* UO_APP_H */
