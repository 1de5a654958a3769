/*
 * examples/user-order/common/app.c: see app.h.
 */
/* sigwait() and pthread_sigmask() are POSIX, outside plain C11. */
#define _POSIX_C_SOURCE 200809L

#include "app.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int uo_security_check(const char *name, const struct uo_security *security) {
  if (security->tls_dir != NULL) {
    /* TODO(tls): load DIR/ca.pem and this program's certificate here. */
    fprintf(stderr,
            "%s: --tls-dir: TLS is not available in crpc yet; use "
            "--plaintext\n",
            name);
    return -1;
  }
  return 0;
}

crpc_code uo_channel_new(crpc_channel **out, const char *name,
                         const char *target,
                         const struct uo_security *security) {
  crpc_code code;

  /*
   * TODO(tls): channel options with the client certificate when
   * !security->is_plaintext. TODO(retries): a service config JSON with a
   * retry policy for UNAVAILABLE goes on these options once crpc reads
   * one; until then a failed call is reported, never retried here.
   * TODO(dns): "dns:///users.svc.test:7001" targets work once c-ares
   * resolution lands; today DNS names resolve once, at creation.
   */
  (void)security;
  code = crpc_channel_new(out, target, NULL);
  if (code != CRPC_OK)
    fprintf(stderr, "%s: cannot use target '%s' (%s)\n", name, target,
            crpc_code_name(code));
  return code;
}

static sigset_t handled_signals(void) {
  sigset_t set;

  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

void uo_block_signals(void) {
  sigset_t set = handled_signals();

  /*
   * A shell starts background jobs with SIGINT ignored, and an ignored
   * signal is dropped even when blocked: restore the defaults first.
   */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGUSR1, SIG_DFL);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int uo_serve(const char *name, crpc_server *server, const char *host, int port,
             const struct uo_security *security, uo_signal_cb *on_usr1,
             void *user_data) {
  sigset_t set = handled_signals();
  char address[300];
  const char *step;
  crpc_code code;
  int sig;

  /* An IPv6 address needs brackets before its port: "[::1]:7001". */
  snprintf(address, sizeof(address), strchr(host, ':') ? "[%s]:%d" : "%s:%d",
           host, port);
  /*
   * TODO(reflection), TODO(health): register crpc's reflection and health
   * services here once librpc/reflection and librpc/health land, so that
   * grpcurl and buf curl need no .proto files.
   * TODO(tls): server credentials when !security->is_plaintext.
   */
  (void)security;
  step = "crpc_server_listen";
  code = crpc_server_listen(server, address, &port);
  if (code != CRPC_OK)
    goto fail;
  step = "crpc_server_start";
  code = crpc_server_start(server);
  if (code != CRPC_OK)
    goto fail;
  printf("%s: listening on %s:%d\n", name, host, port);
  fflush(stdout);

  for (;;) {
    if (sigwait(&set, &sig) != 0)
      sig = SIGTERM;
    if (sig == SIGUSR1) {
      if (on_usr1 != NULL)
        on_usr1(user_data);
      continue;
    }
    break;
  }
  printf("%s: %s, shutting down\n", name, sig == SIGINT ? "SIGINT" : "SIGTERM");
  fflush(stdout);
  crpc_server_shutdown(server, UO_SHUTDOWN_GRACE_MS);
  return 0;

fail:
  fprintf(stderr, "%s: %s on %s: %s\n", name, step, address,
          crpc_code_name(code));
  return 1;
}

int uo_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out) {
  char *end;
  long long value;

  errno = 0;
  value = strtoll(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno != 0 || value < min || value > max)
    return -1;
  *out = value;
  return 0;
}

char *uo_format_money(char *buf, size_t len, int64_t minor,
                      const char *currency) {
  const char *sign = minor < 0 ? "-" : "";
  uint64_t abs_minor = minor < 0 ? -(uint64_t)minor : (uint64_t)minor;

  snprintf(buf, len, "%s%" PRIu64 ".%02" PRIu64 " %s", sign, abs_minor / 100,
           abs_minor % 100, currency != NULL ? currency : "");
  return buf;
}

int64_t uo_unix_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
