/*
 * examples/user-order/common/app.c: see app.h.
 */
/* sigwait() and pthread_sigmask() are POSIX, outside plain C11. */
#define _POSIX_C_SOURCE 200809L

#include "app.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* DIR/FILE into |buf|; false when it does not fit. */
static bool tls_path(char *buf, size_t len, const char *dir, const char *file,
                     const char *suffix) {
  int n = snprintf(buf, len, "%s/%s%s", dir, file, suffix);
  return n > 0 && (size_t)n < len;
}

int uo_security_check(const char *name, const struct uo_security *security) {
  char ca[PATH_MAX];

  if (security->is_plaintext)
    return 0;
  if (!tls_path(ca, sizeof(ca), security->tls_dir, "ca", ".pem") ||
      access(ca, R_OK) != 0) {
    fprintf(stderr,
            "%s: cannot read %s: make the dev certificates with "
            "'examples/user-order/dev_env.sh certs %s', or use --plaintext\n",
            name, ca, security->tls_dir);
    return -1;
  }
  return 0;
}

int uo_service_option(const char *name, int opt, const char *arg,
                      struct uo_service_flags *flags,
                      void (*usage)(FILE *out)) {
  switch (opt) {
  case 'h':
    flags->host = arg;
    return UO_CONTINUE;
  case 'p':
    if (uo_parse_int64(arg, 0, 65535, &flags->port) != 0) {
      fprintf(stderr, "%s: bad port '%s'\n", name, arg);
      return 2;
    }
    return UO_CONTINUE;
  case 'd':
    flags->db_path = arg;
    return UO_CONTINUE;
  case 'P':
    flags->security.is_plaintext = true;
    return UO_CONTINUE;
  case 'T':
    flags->security.tls_dir = arg;
    return UO_CONTINUE;
  case 'H':
    usage(stdout);
    return 0;
  default:
    usage(stderr);
    return 2;
  }
}

int uo_service_flags_check(const char *name, int argc, int optind,
                           const struct uo_service_flags *flags,
                           void (*usage)(FILE *out)) {
  if (optind != argc) {
    usage(stderr);
    return 2;
  }
  return uo_security_check(name, &flags->security) == 0 ? UO_CONTINUE : 2;
}

/*
 * TLS options for program |name|: trust DIR/ca.pem only, and DIR/NAME.pem
 * as this side's certificate when |cert_is_required| or the file exists.
 */
static crpc_code tls_opts_new(crpc_tls_opts **out, const char *name,
                              const struct uo_security *security,
                              bool cert_is_required) {
  char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
  crpc_tls_opts *opts = NULL;
  crpc_code code;

  if (!tls_path(ca, sizeof(ca), security->tls_dir, "ca", ".pem") ||
      !tls_path(cert, sizeof(cert), security->tls_dir, name, ".pem") ||
      !tls_path(key, sizeof(key), security->tls_dir, name, "-key.pem"))
    return CRPC_INVALID_ARGUMENT;
  code = crpc_tls_opts_new(&opts);
  if (code == CRPC_OK)
    code = crpc_tls_opts_set_ca_file(opts, ca);
  if (code == CRPC_OK && (cert_is_required || access(cert, R_OK) == 0))
    code = crpc_tls_opts_set_cert_files(opts, cert, key);
  else if (code == CRPC_OK)
    fprintf(stderr, "%s: no %s: connecting without a client certificate\n",
            name, cert);
  if (code != CRPC_OK) {
    crpc_tls_opts_free(opts);
    return code;
  }
  *out = opts;
  return CRPC_OK;
}

crpc_code uo_channel_new(crpc_channel **out, const char *name,
                         const char *target, const struct uo_security *security,
                         const char *service_config) {
  crpc_channel_opts *opts = NULL;
  crpc_tls_opts *tls = NULL;
  crpc_channel_credentials *creds = NULL;
  crpc_status why = {.code = CRPC_OK, .message = ""};
  crpc_code code;

  code = crpc_channel_opts_new(&opts);
  if (code == CRPC_OK && service_config != NULL)
    code = crpc_channel_opts_set_service_config(opts, service_config, &why);
  if (code == CRPC_OK && !security->is_plaintext) {
    code = tls_opts_new(&tls, name, security, false);
    if (code == CRPC_OK)
      code = crpc_channel_credentials_new_tls(&creds, tls, &why);
    /* The options take their own reference to the credentials. */
    if (code == CRPC_OK)
      crpc_channel_opts_set_credentials(opts, creds);
  }
  if (code == CRPC_OK)
    code = crpc_channel_new(out, target, opts);
  if (code != CRPC_OK)
    fprintf(stderr, "%s: cannot use target '%s' (%s%s%s)\n", name, target,
            crpc_code_name(code), why.message[0] != '\0' ? ": " : "",
            why.message);
  crpc_channel_credentials_free(creds);
  crpc_tls_opts_free(tls);
  crpc_channel_opts_free(opts);
  return code;
}

int uo_server_new(struct uo_server *out, const char *name,
                  const struct uo_security *security) {
  crpc_server_opts *opts = NULL;
  crpc_tls_opts *tls = NULL;
  crpc_server_credentials *creds = NULL;
  crpc_status why = {.code = CRPC_OK, .message = ""};
  const char *step = "crpc_server_opts_new";
  crpc_code code;

  out->server = NULL;
  out->health = NULL;
  code = crpc_server_opts_new(&opts);
  if (code == CRPC_OK && !security->is_plaintext) {
    step = "TLS";
    code = tls_opts_new(&tls, name, security, true);
    if (code == CRPC_OK) {
      /* Mutual TLS: only holders of a certificate from the dev CA. */
      crpc_tls_opts_set_require_client_cert(tls, true);
      code = crpc_server_credentials_new_tls(&creds, tls, &why);
    }
    if (code == CRPC_OK)
      crpc_server_opts_set_credentials(opts, creds);
  }
  if (code == CRPC_OK) {
    step = "crpc_server_new";
    code = crpc_server_new(&out->server, opts);
  }
  if (code == CRPC_OK) {
    step = "crpc_reflection_register";
    code = crpc_reflection_register(out->server);
  }
  if (code == CRPC_OK) {
    step = "crpc_health_register";
    code = crpc_health_register(out->server, &out->health);
  }
  crpc_server_credentials_free(creds);
  crpc_tls_opts_free(tls);
  crpc_server_opts_free(opts);
  if (code == CRPC_OK)
    return 0;
  fprintf(stderr, "%s: %s: %s%s%s\n", name, step, crpc_code_name(code),
          why.message[0] != '\0' ? ": " : "", why.message);
  uo_server_free(out);
  return -1;
}

void uo_server_free(struct uo_server *server) {
  /* Health is used by the server's Watch handlers until the server goes. */
  crpc_server_free(server->server);
  crpc_health_free(server->health);
  server->server = NULL;
  server->health = NULL;
}

/* Every service the application registered is ready once the server is. */
static crpc_code report_serving(struct uo_server *server) {
  size_t i, count = crpc_server_service_count(server->server);
  crpc_code code = CRPC_OK;

  for (i = 0; i < count && code == CRPC_OK; i++) {
    const char *service = crpc_server_service_at(server->server, i)->name;
    if (strncmp(service, "grpc.", 5) != 0)
      code = crpc_health_set(server->health, service, CRPC_HEALTH_SERVING);
  }
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

int uo_serve(const char *name, struct uo_server *server, const char *host,
             int port, uo_signal_cb *on_usr1, void *user_data) {
  sigset_t set = handled_signals();
  char address[300];
  const char *step;
  crpc_code code;
  int sig;

  /* An IPv6 address needs brackets before its port: "[::1]:7001". */
  snprintf(address, sizeof(address), strchr(host, ':') ? "[%s]:%d" : "%s:%d",
           host, port);
  step = "crpc_server_listen";
  code = crpc_server_listen(server->server, address, &port);
  if (code != CRPC_OK)
    goto fail;
  step = "crpc_health_set";
  code = report_serving(server);
  if (code != CRPC_OK)
    goto fail;
  step = "crpc_server_start";
  code = crpc_server_start(server->server);
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
  crpc_server_shutdown(server->server, UO_SHUTDOWN_GRACE_MS);
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
