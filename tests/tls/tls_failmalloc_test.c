/*
 * tests/tls/tls_failmalloc_test.c: TLS options and credentials (librpc-tls)
 * with every allocation failing in turn (tests/unit/failmalloc.h): each
 * failure must return RESOURCE_EXHAUSTED and free what it made, the
 * caller's options untouched. Certificates: the ones committed in
 * tests/interop/certs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crpc/crpc.h"
#include "failmalloc.h"

typedef char path[512];

/* The committed test certificate |name|, into |out|. */
static const char *cert(path out, const char *name) {
  const char *top = getenv("top_srcdir");
  snprintf(out, sizeof(path), "%s/tests/interop/certs/%s",
           top != NULL ? top : ".", name);
  return out;
}

/* Options keep copies; these are never parsed. */
static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\nca\n";
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\nleaf\n";
static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\nkey\n";

/* Every setter that copies a string. */
static crpc_code set_every_option(void *arg) {
  crpc_tls_opts *opts = NULL;
  crpc_code code = crpc_tls_opts_new(&opts);
  if (code == CRPC_OK)
    code = crpc_tls_opts_set_ca_pem(opts, ca_pem, strlen(ca_pem));
  if (code == CRPC_OK)
    code = crpc_tls_opts_set_cert_pem(opts, cert_pem, strlen(cert_pem), key_pem,
                                      strlen(key_pem));
  if (code == CRPC_OK)
    code = crpc_tls_opts_set_server_name_override(opts, "foo.test.google.fr");
  crpc_tls_opts_free(opts);
  return code;
}

/* Server credentials from files, reloaded (copying every option they
 * keep); a channel's from the CA. */
static crpc_code make_and_reload(void *arg) {
  path pem, key, ca;
  crpc_tls_opts *opts = NULL;
  crpc_server_credentials *server = NULL;
  crpc_channel_credentials *channel = NULL;
  crpc_status why;
  crpc_code code = crpc_tls_opts_new(&opts);
  if (code == CRPC_OK)
    code = crpc_tls_opts_set_cert_files(opts, cert(pem, "server1.pem"),
                                        cert(key, "server1.key"));
  if (code == CRPC_OK)
    code = crpc_tls_opts_set_ca_file(opts, cert(ca, "ca.pem"));
  if (code == CRPC_OK)
    code = crpc_tls_opts_set_server_name_override(opts, "foo.test.google.fr");
  if (code == CRPC_OK)
    code = crpc_server_credentials_new_tls(&server, opts, &why);
  if (code == CRPC_OK)
    code = crpc_server_credentials_reload(server, NULL, &why);
  if (code == CRPC_OK)
    code = crpc_channel_credentials_new_tls(&channel, opts, &why);
  crpc_channel_credentials_free(channel);
  crpc_server_credentials_free(server);
  crpc_tls_opts_free(opts);
  return code;
}

Test(tls_failmalloc, options_fail_cleanly) {
  cr_assert_gt(failmalloc_run("options", set_every_option, NULL,
                              CRPC_RESOURCE_EXHAUSTED),
               3);
}

Test(tls_failmalloc, credentials_and_reload_fail_cleanly) {
  cr_assert_gt(failmalloc_run("credentials", make_and_reload, NULL,
                              CRPC_RESOURCE_EXHAUSTED),
               8);
}
