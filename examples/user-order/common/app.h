/*
 * examples/user-order/common/app.h: what the three services and order-cli
 * share: transport-security flags, serving until SIGTERM, money formatting.
 * Written against crpc's public API only, like any application.
 */
#ifndef UO_APP_H
#define UO_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <crpc/crpc.h>

/* How long calls in flight may take to finish once asked to stop. */
#define UO_SHUTDOWN_GRACE_MS 5000

/*
 * Transport security, the same flags on every program:
 *   --plaintext     no TLS (local debugging)
 *   --tls-dir=DIR   mTLS with DIR/ca.pem, DIR/<name>.pem, DIR/<name>-key.pem
 * TODO(tls): crpc has no TLS yet. Until it does, --tls-dir is refused and
 * everything is plaintext; once it lands, mTLS with a dev CA made on first
 * run becomes the default and --plaintext the opt-out.
 */
struct uo_security {
  bool is_plaintext;
  const char *tls_dir; /* NULL unless --tls-dir */
};

/*
 * Checks the security flags for program |name|. Prints why and returns -1
 * when they ask for what crpc cannot do yet.
 */
int uo_security_check(const char *name, const struct uo_security *security);

/*
 * A channel to |target| ("host:port", "ipv4:a:p,b:p", "unix:path"),
 * secured per |security|. Prints the reason on failure.
 */
crpc_code uo_channel_new(crpc_channel **out, const char *name,
                         const char *target,
                         const struct uo_security *security);

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
 * registered) and prints "NAME: listening on HOST:PORT" on stdout, the line
 * scripts wait for. Then waits for SIGINT or SIGTERM, running |on_usr1|
 * (may be NULL) on SIGUSR1, and shuts down gracefully. Returns the exit
 * status: 0 after a clean shutdown, 1 if the server could not start.
 */
int uo_serve(const char *name, crpc_server *server, const char *host, int port,
             const struct uo_security *security, uo_signal_cb *on_usr1,
             void *user_data);

/* Parses a decimal integer in [min, max]; -1 when |s| is not one. */
int uo_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* "18.90 EUR" for 1890 minor units of EUR, into |buf|; returns |buf|. */
char *uo_format_money(char *buf, size_t len, int64_t minor,
                      const char *currency);

/* Milliseconds since the Unix epoch (wall clock, for timestamps only). */
int64_t uo_unix_ms(void);

#endif /* UO_APP_H */
