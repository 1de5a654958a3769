/*
 * tls/tls.c: TLS streams and contexts on OpenSSL 3 (see tls.h).
 *
 * The SSL reads and writes its lower stream through a BIO of our own, so a
 * would-block below becomes SSL_ERROR_WANT_READ / WANT_WRITE here and
 * CRPC_STREAM_AGAIN with wants_read / wants_write above: a read may wait
 * for writability and a write for readability, and the connection's
 * watcher follows what the stream last asked for.
 */
#include "tls/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"

/* RFC 9113 9.2.2: TLS 1.2 with ephemeral key exchange and an AEAD. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"

static const unsigned char alpn_h2[] = {2, 'h', '2'};

struct crpc_tls_ctx {
  SSL_CTX *ssl_ctx;
  bool is_server;
};

typedef struct tls_stream {
  crpc_stream base;
  crpc_stream *lower;
  SSL *ssl;
  bool is_server;
  bool is_ready;     /* handshake done */
  bool is_failed;    /* a fatal error: no close_notify */
  bool saw_eof;      /* the lower stream ended */
  bool lower_failed; /* the lower stream failed: its error says why */
  bool alpn_refused; /* server: the client offered ALPN, but not h2 */
  bool got_data;     /* application data came after the handshake */
  uint8_t first[8];  /* the peer's first bytes, to explain a failure */
  size_t first_len;
  char name[256]; /* client: the name verified */
} tls_stream;

/* The BIO over the lower stream. */

static int bio_read(BIO *bio, char *buf, size_t len, size_t *done) {
  tls_stream *t = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  ssize_t n = crpc_stream_read(t->lower, (uint8_t *)buf, len);
  if (n > 0) {
    for (ssize_t i = 0; t->first_len < sizeof(t->first) && i < n; i++)
      t->first[t->first_len++] = (uint8_t)buf[i];
    *done = (size_t)n;
    return 1;
  }
  if (n == CRPC_STREAM_AGAIN)
    BIO_set_retry_read(bio);
  else if (n == 0)
    t->saw_eof = true;
  else
    t->lower_failed = true;
  return 0;
}

static int bio_write(BIO *bio, const char *buf, size_t len, size_t *done) {
  tls_stream *t = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  ssize_t n = crpc_stream_write(t->lower, (const uint8_t *)buf, len);
  if (n >= 0) {
    *done = (size_t)n;
    return 1;
  }
  if (n == CRPC_STREAM_AGAIN)
    BIO_set_retry_write(bio);
  else
    t->lower_failed = true;
  return 0;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
  tls_stream *t = BIO_get_data(bio);
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1; /* every write went straight down */
  case BIO_CTRL_EOF:
    /* With SSL_OP_IGNORE_UNEXPECTED_EOF, a peer that closes without
     * close_notify ends the stream cleanly (gRPC peers often do). */
    return t != NULL && t->saw_eof;
  default:
    return 0;
  }
}

static int bio_create(BIO *bio) {
  BIO_set_init(bio, 1);
  return 1;
}

static int bio_destroy(BIO *bio) { return 1; }

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static void make_bio_method(void) {
  BIO_METHOD *m =
      BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "crpc stream");
  if (m == NULL)
    return;
  if (!BIO_meth_set_read_ex(m, bio_read) ||
      !BIO_meth_set_write_ex(m, bio_write) || !BIO_meth_set_ctrl(m, bio_ctrl) ||
      !BIO_meth_set_create(m, bio_create) ||
      !BIO_meth_set_destroy(m, bio_destroy)) {
    BIO_meth_free(m);
    return;
  }
  bio_method = m;
}

/* Errors. */

/* The reason of the oldest queued OpenSSL error, "" if none. */
static const char *ssl_reason(unsigned long *code) {
  unsigned long e = ERR_peek_error();
  if (code != NULL)
    *code = e;
  if (e == 0)
    return "";
  if (ERR_SYSTEM_ERROR(e))
    return strerror(ERR_GET_REASON(e));
  const char *r = ERR_reason_error_string(e);
  return r != NULL ? r : "unknown OpenSSL error";
}

/* Whether the peer's first bytes can start a TLS record (RFC 8446 5.1). */
static bool looks_like_tls(const tls_stream *t) {
  return t->first_len < 2 ||
         (t->first[0] >= 20 && t->first[0] <= 23 && t->first[1] == 0x03);
}

static const char *plaintext_hint(const tls_stream *t) {
  if (looks_like_tls(t))
    return "";
  if (!t->is_server)
    return " (the server does not speak TLS: a plaintext server?)";
  if (t->first_len >= 3 && memcmp(t->first, "PRI", 3) == 0)
    return " (a plaintext HTTP/2 client on a TLS port)";
  return " (not a TLS ClientHello)";
}

/* Sets the stream's error for a failed SSL call |what|. */
static void set_error(tls_stream *t, const char *what, int ssl_error) {
  char *out = t->base.error;
  size_t cap = sizeof(t->base.error);
  unsigned long code;
  const char *reason = ssl_reason(&code);
  long verify = SSL_get_verify_result(t->ssl);

  t->is_failed = true;
  if (t->alpn_refused) {
    snprintf(out, cap, "%s: the client did not offer ALPN h2", what);
  } else if (ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED &&
             verify != X509_V_OK) {
    bool is_name = verify == X509_V_ERR_HOSTNAME_MISMATCH ||
                   verify == X509_V_ERR_IP_ADDRESS_MISMATCH;
    snprintf(out, cap, "%s: certificate verify failed: %.80s%s%.60s%s", what,
             X509_verify_cert_error_string(verify),
             is_name ? " (expected " : "", is_name ? t->name : "",
             is_name ? ")" : "");
  } else if (code != 0) {
    snprintf(out, cap, "%s: %s%s", what, reason, plaintext_hint(t));
  } else if (t->lower_failed) {
    char lower[sizeof(t->base.error)];
    snprintf(lower, sizeof(lower), "%s", t->lower->error);
    snprintf(out, cap, "%s: %.150s", what, lower);
  } else if (t->saw_eof || ssl_error == SSL_ERROR_ZERO_RETURN ||
             ssl_error == SSL_ERROR_SYSCALL) {
    snprintf(out, cap, "%s: connection closed by the peer%s", what,
             plaintext_hint(t));
  } else {
    snprintf(out, cap, "%s: SSL error %d", what, ssl_error);
  }
  ERR_clear_error();
}

/* Maps a failed SSL call to AGAIN (with wants) or ERROR. */
static int after_failure(tls_stream *t, int rc, const char *what) {
  int err = SSL_get_error(t->ssl, rc);
  t->base.wants_read = err == SSL_ERROR_WANT_READ;
  t->base.wants_write = err == SSL_ERROR_WANT_WRITE;
  if (t->base.wants_read || t->base.wants_write)
    return CRPC_STREAM_AGAIN;
  set_error(t, what, err);
  return CRPC_STREAM_ERROR;
}

/* Stream operations. */

static ssize_t tls_read(crpc_stream *s, uint8_t *buf, size_t len) {
  tls_stream *t = (tls_stream *)s;
  size_t total = 0;
  /* Fill |buf| as far as the records at hand go, so that a short read
   * means the socket is drained and none sits decrypted in the SSL. */
  while (total < len) {
    size_t n;
    ERR_clear_error();
    int rc = SSL_read_ex(t->ssl, buf + total, len - total, &n);
    if (rc == 1) {
      total += n;
      t->got_data = true;
      continue;
    }
    if (total > 0) {
      ERR_clear_error(); /* the next call meets the same condition */
      break;
    }
    if (SSL_get_error(t->ssl, rc) == SSL_ERROR_ZERO_RETURN) {
      if (t->got_data || t->is_server)
        return 0;
      /* TLS 1.3 servers check client certificates after the client's
       * handshake is done; some close without an alert to say why. */
      snprintf(t->base.error, sizeof(t->base.error),
               "TLS connection closed by the server before any data (does it "
               "require a client certificate, or refuse ours?)");
      return CRPC_STREAM_ERROR;
    }
    return after_failure(t, rc, "TLS read failed");
  }
  return (ssize_t)total;
}

static ssize_t tls_write(crpc_stream *s, const uint8_t *buf, size_t len) {
  tls_stream *t = (tls_stream *)s;
  size_t n;
  ERR_clear_error();
  /* Without SSL_MODE_ENABLE_PARTIAL_WRITE one call sends all of |buf| as
   * records; after WANT_WRITE the caller retries with the same bytes. */
  int rc = SSL_write_ex(t->ssl, buf, len, &n);
  if (rc == 1)
    return (ssize_t)n;
  return after_failure(t, rc, "TLS write failed");
}

static int tls_handshake(crpc_stream *s) {
  tls_stream *t = (tls_stream *)s;
  if (t->is_ready)
    return CRPC_STREAM_READY;
  ERR_clear_error();
  int rc = SSL_do_handshake(t->ssl);
  if (rc != 1)
    return after_failure(t, rc, "TLS handshake failed") == CRPC_STREAM_AGAIN
               ? CRPC_STREAM_PENDING
               : CRPC_STREAM_FAILED;
  /* RFC 9113 3.2: h2 over TLS is negotiated with ALPN; a server may pick
   * none if the client offered none, which gRPC refuses too. */
  const unsigned char *proto;
  unsigned int proto_len;
  SSL_get0_alpn_selected(t->ssl, &proto, &proto_len);
  if (proto_len != 2 || memcmp(proto, "h2", 2) != 0) {
    t->is_failed = true;
    snprintf(t->base.error, sizeof(t->base.error),
             "TLS handshake failed: the %s did not negotiate ALPN h2",
             t->is_server ? "client" : "server");
    return CRPC_STREAM_FAILED;
  }
  t->is_ready = true;
  return CRPC_STREAM_READY;
}

static bool tls_has_pending(const crpc_stream *s) {
  const tls_stream *t = (const tls_stream *)s;
  return SSL_has_pending(t->ssl) == 1;
}

static void tls_free(crpc_stream *s) {
  tls_stream *t = (tls_stream *)s;
  if (t->is_ready && !t->is_failed) {
    /* Best effort close_notify; a full send buffer just drops it. */
    ERR_clear_error();
    SSL_shutdown(t->ssl);
    ERR_clear_error();
  }
  SSL_free(t->ssl);
  crpc_stream_free(t->lower);
  crpc_mem_free(t);
}

/* Below, with the certificate parsing. */
static const crpc_peer_identity *tls_peer_identity(const crpc_stream *s,
                                                   crpc_arena *arena);

static const crpc_stream_ops tls_ops = {
    .read = tls_read,
    .write = tls_write,
    .handshake = tls_handshake,
    .has_pending = tls_has_pending,
    .peer_identity = tls_peer_identity,
    .free = tls_free,
};

/* Server: h2 or nothing (RFC 7301 3.2: no_application_protocol alert). */
static int select_alpn(SSL *ssl, const unsigned char **out,
                       unsigned char *out_len, const unsigned char *in,
                       unsigned int in_len, void *arg) {
  for (unsigned int i = 0; i < in_len;) {
    unsigned int len = in[i];
    if (i + 1 + len > in_len)
      break;
    if (len == 2 && memcmp(in + i + 1, "h2", 2) == 0) {
      *out = in + i + 1;
      *out_len = 2;
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  tls_stream *t = SSL_get_app_data(ssl);
  if (t != NULL)
    t->alpn_refused = true;
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

crpc_code crpc_tls_stream_new(crpc_stream **out, crpc_tls_ctx *ctx,
                              crpc_stream *lower, const char *server_name,
                              int64_t handshake_timeout_ms, crpc_status *why) {
  pthread_once(&bio_once, make_bio_method);
  tls_stream *t = crpc_mem_calloc(1, sizeof(*t));
  BIO *bio = NULL;
  if (t == NULL || bio_method == NULL)
    goto oom;
  t->ssl = SSL_new(ctx->ssl_ctx);
  bio = BIO_new(bio_method);
  if (t->ssl == NULL || bio == NULL)
    goto oom;
  BIO_set_data(bio, t);
  SSL_set_bio(t->ssl, bio, bio); /* the SSL owns the BIO from here */
  bio = NULL;
  SSL_set_app_data(t->ssl, t);
  t->is_server = ctx->is_server;
  if (ctx->is_server) {
    SSL_set_accept_state(t->ssl);
  } else {
    struct in6_addr ip;
    bool is_ip = inet_pton(AF_INET, server_name, &ip) == 1 ||
                 inet_pton(AF_INET6, server_name, &ip) == 1;
    snprintf(t->name, sizeof(t->name), "%s", server_name);
    X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
    X509_VERIFY_PARAM_set_hostflags(param,
                                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    /* RFC 6066 3: SNI names hosts, never addresses. */
    if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, server_name) != 1
              : SSL_set1_host(t->ssl, server_name) != 1 ||
                    SSL_set_tlsext_host_name(t->ssl, server_name) != 1) {
      crpc_status_set(why, CRPC_INVALID_ARGUMENT, "bad TLS server name '%s'",
                      server_name);
      SSL_free(t->ssl);
      crpc_mem_free(t);
      ERR_clear_error();
      return CRPC_INVALID_ARGUMENT;
    }
    SSL_set_connect_state(t->ssl);
  }
  t->base.ops = &tls_ops;
  t->base.fd = lower->fd;
  t->base.handshake_timeout_ms = handshake_timeout_ms;
  t->lower = lower;
  *out = &t->base;
  return CRPC_OK;

oom:
  BIO_free(bio);
  if (t != NULL)
    SSL_free(t->ssl);
  crpc_mem_free(t);
  ERR_clear_error();
  return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
}

/* Peer identity. */

static char *name_text(const X509_NAME *name) {
  BIO *mem = BIO_new(BIO_s_mem());
  char *text = NULL, *data;
  if (mem == NULL)
    return NULL;
  if (X509_NAME_print_ex(mem, name, 0, XN_FLAG_RFC2253) >= 0) {
    long len = BIO_get_mem_data(mem, &data);
    text = crpc_mem_strndup(data, (size_t)len);
  }
  BIO_free(mem);
  return text;
}

/* "DNS:name", "URI:uri", "email:addr", "IP:addr"; NULL for other kinds. */
static char *san_text(const GENERAL_NAME *gn, crpc_arena *arena) {
  char text[600];
  const ASN1_STRING *s;
  const char *kind;
  switch (gn->type) {
  case GEN_DNS:
    kind = "DNS";
    s = gn->d.dNSName;
    break;
  case GEN_URI:
    kind = "URI";
    s = gn->d.uniformResourceIdentifier;
    break;
  case GEN_EMAIL:
    kind = "email";
    s = gn->d.rfc822Name;
    break;
  case GEN_IPADD: {
    char ip[INET6_ADDRSTRLEN] = "";
    s = gn->d.iPAddress;
    int family = s->length == 4 ? AF_INET : s->length == 16 ? AF_INET6 : 0;
    if (family == 0 || inet_ntop(family, s->data, ip, sizeof(ip)) == NULL)
      return NULL;
    snprintf(text, sizeof(text), "IP:%s", ip);
    return crpc_arena_strdup(arena, text);
  }
  default:
    return NULL;
  }
  /* IA5 strings may hold a NUL: such a name is not one we can show. */
  if (memchr(s->data, '\0', (size_t)s->length) != NULL)
    return NULL;
  snprintf(text, sizeof(text), "%s:%.*s", kind, s->length,
           (const char *)s->data);
  return crpc_arena_strdup(arena, text);
}

static const crpc_peer_identity *tls_peer_identity(const crpc_stream *s,
                                                   crpc_arena *arena) {
  const tls_stream *t = (const tls_stream *)s;
  X509 *cert = SSL_get0_peer_certificate(t->ssl);
  if (cert == NULL || SSL_get_verify_result(t->ssl) != X509_V_OK)
    return NULL;
  crpc_peer_identity *id = crpc_arena_alloc(arena, sizeof(*id));
  char *subject = name_text(X509_get_subject_name(cert));
  GENERAL_NAMES *names =
      X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
  int count = names != NULL ? sk_GENERAL_NAME_num(names) : 0;
  const char **sans =
      crpc_arena_alloc(arena, (count > 0 ? (size_t)count : 1) * sizeof(*sans));
  if (id == NULL || subject == NULL || sans == NULL)
    goto fail;
  id->subject = crpc_arena_strdup(arena, subject);
  if (id->subject == NULL)
    goto fail;
  id->san_count = 0;
  for (int i = 0; i < count; i++) {
    char *text = san_text(sk_GENERAL_NAME_value(names, i), arena);
    if (text != NULL)
      sans[id->san_count++] = text;
  }
  id->sans = sans;
  crpc_mem_free(subject);
  GENERAL_NAMES_free(names);
  return id;

fail:
  crpc_mem_free(subject);
  GENERAL_NAMES_free(names);
  return NULL;
}

/* Contexts. */

static crpc_code load_error(crpc_status *why, const char *what,
                            const char *where) {
  crpc_status_set(why, CRPC_INVALID_ARGUMENT, "%s%s%s: %s", what,
                  where != NULL ? " " : "", where != NULL ? where : "",
                  ssl_reason(NULL)[0] != '\0' ? ssl_reason(NULL)
                                              : "cannot be loaded");
  ERR_clear_error();
  return CRPC_INVALID_ARGUMENT;
}

/* Adds every certificate of |pem| to the trust store (and, on servers, to
 * the CA names sent in CertificateRequest). */
static bool load_ca_pem(SSL_CTX *ctx, const char *pem, size_t len,
                        bool is_server) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  X509 *cert;
  int count = 0;
  if (bio == NULL)
    return false;
  while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    bool ok = X509_STORE_add_cert(store, cert) == 1 &&
              (!is_server || SSL_CTX_add_client_CA(ctx, cert) == 1);
    X509_free(cert);
    if (!ok) {
      BIO_free(bio);
      return false;
    }
    count++;
  }
  BIO_free(bio);
  /* Reading stops with "no start line" at the end: not an error then. */
  if (count > 0 && ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
    ERR_clear_error();
  return count > 0;
}

static bool load_cert_pem(SSL_CTX *ctx, const char *pem, size_t len) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  X509 *cert;
  bool ok = false;
  if (bio == NULL)
    return false;
  cert = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
  if (cert == NULL || SSL_CTX_use_certificate(ctx, cert) != 1)
    goto done;
  X509_free(cert);
  SSL_CTX_clear_chain_certs(ctx);
  while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if (SSL_CTX_add0_chain_cert(ctx, cert) != 1)
      goto done;
  }
  ERR_clear_error(); /* the end of the chain */
  ok = true;
  cert = NULL;
done:
  X509_free(cert);
  BIO_free(bio);
  return ok;
}

static bool load_key_pem(SSL_CTX *ctx, const char *pem, size_t len) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  EVP_PKEY *key =
      bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  bool ok = key != NULL && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  BIO_free(bio);
  return ok;
}

static crpc_code load_trust(SSL_CTX *ctx, const crpc_tls_opts *o,
                            bool is_server, crpc_status *why) {
  if (o->ca_pem != NULL) {
    if (!load_ca_pem(ctx, o->ca_pem, o->ca_pem_len, is_server))
      return load_error(why, "CA certificates", "(PEM text)");
  } else if (o->ca_file != NULL) {
    if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1)
      return load_error(why, "CA file", o->ca_file);
    if (is_server) {
      STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca_file);
      if (names == NULL)
        return load_error(why, "CA file", o->ca_file);
      SSL_CTX_set_client_CA_list(ctx, names);
    }
  } else if (!is_server) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1)
      return load_error(why, "system trust store", NULL);
  }
  return CRPC_OK;
}

static crpc_code load_identity(SSL_CTX *ctx, const crpc_tls_opts *o,
                               crpc_status *why) {
  if (o->cert_pem != NULL) {
    if (!load_cert_pem(ctx, o->cert_pem, o->cert_pem_len))
      return load_error(why, "certificate chain", "(PEM text)");
    if (!load_key_pem(ctx, o->key_pem, o->key_pem_len))
      return load_error(why, "private key", "(PEM text)");
  } else if (o->cert_file != NULL) {
    if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1)
      return load_error(why, "certificate chain", o->cert_file);
    if (SSL_CTX_use_PrivateKey_file(ctx, o->key_file, SSL_FILETYPE_PEM) != 1)
      return load_error(why, "private key", o->key_file);
  } else {
    return CRPC_OK;
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return load_error(why, "private key", "(does not match the certificate)");
  return CRPC_OK;
}

crpc_code crpc_tls_ctx_new(crpc_tls_ctx **out, const crpc_tls_opts *o,
                           bool is_server, crpc_status *why) {
  crpc_tls_ctx *ctx = crpc_mem_calloc(1, sizeof(*ctx));
  SSL_CTX *ssl_ctx = NULL;
  crpc_code code = CRPC_RESOURCE_EXHAUSTED;
  bool has_identity = o->cert_pem != NULL || o->cert_file != NULL;
  bool has_roots = o->ca_pem != NULL || o->ca_file != NULL;

  ERR_clear_error();
  if (is_server && !has_identity) {
    code = crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                           "TLS server credentials need a certificate and "
                           "a private key");
    goto fail;
  }
  if (is_server && o->require_client_cert && !has_roots) {
    code = crpc_status_set(why, CRPC_INVALID_ARGUMENT,
                           "requiring client certificates needs CA "
                           "certificates to verify them");
    goto fail;
  }
  if (ctx == NULL)
    goto oom;
  ssl_ctx = SSL_CTX_new(is_server ? TLS_server_method() : TLS_client_method());
  if (ssl_ctx == NULL)
    goto oom;
  SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ssl_ctx, TLS12_CIPHERS) != 1) {
    code = load_error(why, "TLS 1.2 cipher list", NULL);
    goto fail;
  }
  SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                   SSL_OP_IGNORE_UNEXPECTED_EOF |
                                   SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  /* Whole socket reads into the SSL instead of one per record part;
   * tls_read drains what they bring. */
  SSL_CTX_set_read_ahead(ssl_ctx, 1);
  SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);
  if ((code = load_trust(ssl_ctx, o, is_server, why)) != CRPC_OK ||
      (code = load_identity(ssl_ctx, o, why)) != CRPC_OK)
    goto fail;
  if (is_server) {
    SSL_CTX_set_num_tickets(ssl_ctx, 0);
    SSL_CTX_set_alpn_select_cb(ssl_ctx, select_alpn, NULL);
    if (has_roots)
      SSL_CTX_set_verify(
          ssl_ctx,
          SSL_VERIFY_PEER |
              (o->require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
          NULL);
  } else {
    SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
    /* Returns 0 on success, unlike the rest of OpenSSL. */
    if (SSL_CTX_set_alpn_protos(ssl_ctx, alpn_h2, sizeof(alpn_h2)) != 0)
      goto oom;
  }
  ctx->ssl_ctx = ssl_ctx;
  ctx->is_server = is_server;
  *out = ctx;
  return CRPC_OK;

oom:
  code = crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
fail:
  ERR_clear_error();
  SSL_CTX_free(ssl_ctx);
  crpc_mem_free(ctx);
  return code;
}

void crpc_tls_ctx_free(crpc_tls_ctx *ctx) {
  if (ctx == NULL)
    return;
  SSL_CTX_free(ctx->ssl_ctx); /* live SSLs hold their own reference */
  crpc_mem_free(ctx);
}
