/* wire/compress.c: identity, gzip and deflate messages (doc/compression.md). */
#include "wire/compress.h"

#include <limits.h>
#include <string.h>
#include <zlib.h>

#include "base/mem.h"

/* grpc-core message_compress.cc: windowBits 15, plus 16 for a gzip wrapper. */
#define WINDOW_BITS 15
#define GZIP_WINDOW_BITS (15 + 16)

/* Output grows by at least this much at a time while inflating. */
#define MIN_GROWTH 4096

const char crpc_encoding_accept[] = CRPC_ENCODING_ACCEPT;

static const char *const names[] = {
    [CRPC_ENCODING_IDENTITY] = "identity",
    [CRPC_ENCODING_GZIP] = "gzip",
    [CRPC_ENCODING_DEFLATE] = "deflate",
};

crpc_encoding crpc_encoding_parse(const char *v, size_t len) {
  size_t i;

  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strlen(names[i]) == len && memcmp(names[i], v, len) == 0)
      return (crpc_encoding)i;
  return CRPC_ENCODING_UNKNOWN;
}

const char *crpc_encoding_name(crpc_encoding e) {
  if ((int)e < 0 || (size_t)e >= sizeof(names) / sizeof(names[0]))
    return NULL;
  return names[e];
}

static bool is_separator(char c) { return c == ',' || c == ' ' || c == '\t'; }

bool crpc_encoding_is_accepted(const char *accept, size_t len,
                               crpc_encoding e) {
  const char *name = crpc_encoding_name(e);
  size_t i = 0, start;

  if (name == NULL)
    return false;
  /* doc/compression.md: a peer may always answer uncompressed. */
  if (e == CRPC_ENCODING_IDENTITY)
    return true;
  /* PROTOCOL-HTTP2.md: Encoding-Token *("," Encoding-Token); peers put
   * optional whitespace around the commas. */
  while (i < len) {
    while (i < len && is_separator(accept[i]))
      i++;
    start = i;
    while (i < len && !is_separator(accept[i]))
      i++;
    if (i > start && crpc_encoding_parse(accept + start, i - start) == e)
      return true;
  }
  return false;
}

/* zlib allocates through us, so that crpc_mem_fail_after reaches it too. */
static voidpf zalloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  if (size != 0 && items > SIZE_MAX / size)
    return Z_NULL;
  return crpc_mem_malloc((size_t)items * size);
}

static void zfree(voidpf opaque, voidpf p) {
  (void)opaque;
  crpc_mem_free(p);
}

static int window_bits(crpc_encoding e) {
  return e == CRPC_ENCODING_GZIP ? GZIP_WINDOW_BITS : WINDOW_BITS;
}

/* zlib counts in uInt; larger buffers are fed in pieces. */
static uInt clamp(size_t n) { return n > UINT_MAX ? UINT_MAX : (uInt)n; }

static crpc_code deflate_all(crpc_encoding e, const uint8_t *in, size_t len,
                             crpc_bytes *out) {
  size_t start = out->len, left = len;
  z_stream zs;
  crpc_code rc;
  int r;

  memset(&zs, 0, sizeof(zs));
  zs.zalloc = zalloc;
  zs.zfree = zfree;
  /* deflateInit2 allocates everything deflate will need. */
  r = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits(e), 8,
                   Z_DEFAULT_STRATEGY);
  if (r != Z_OK)
    return r == Z_MEM_ERROR ? CRPC_RESOURCE_EXHAUSTED : CRPC_INTERNAL;
  /* One allocation in the usual case: the bound of the whole output. */
  rc = crpc_bytes_reserve(out, deflateBound(&zs, clamp(len)));
  if (rc != CRPC_OK)
    goto fail;
  zs.next_in = (Bytef *)in;
  for (;;) {
    if (zs.avail_in == 0) {
      zs.avail_in = clamp(left);
      left -= zs.avail_in;
    }
    if (out->len == out->cap) {
      rc = crpc_bytes_reserve(out, MIN_GROWTH);
      if (rc != CRPC_OK)
        goto fail;
    }
    zs.next_out = out->data + out->len;
    zs.avail_out = clamp(out->cap - out->len);
    r = deflate(&zs, left == 0 ? Z_FINISH : Z_NO_FLUSH);
    out->len = (size_t)(zs.next_out - out->data);
    if (r == Z_STREAM_END)
      break;
    /* Z_BUF_ERROR only means no progress this round; we add room. */
    if (r != Z_OK && r != Z_BUF_ERROR) {
      rc = CRPC_INTERNAL;
      goto fail;
    }
  }
  deflateEnd(&zs);
  return CRPC_OK;
fail:
  deflateEnd(&zs);
  out->len = start;
  return rc;
}

crpc_code crpc_compress(crpc_encoding e, const uint8_t *in, size_t len,
                        crpc_bytes *out) {
  switch (e) {
  case CRPC_ENCODING_IDENTITY:
    return crpc_bytes_append(out, in, len);
  case CRPC_ENCODING_GZIP:
  case CRPC_ENCODING_DEFLATE:
    return deflate_all(e, in, len, out);
  default:
    return CRPC_INTERNAL;
  }
}

static crpc_code too_large(crpc_status *why, size_t max_len) {
  /* grpc's wording (as in framing.c); we stop at the first byte past the
   * limit, so the real size is unknown. */
  return crpc_status_set(
      why, CRPC_RESOURCE_EXHAUSTED,
      "decompressed message larger than max (more than %zu vs. %zu)", max_len,
      max_len);
}

static crpc_code inflate_all(crpc_encoding e, const uint8_t *in, size_t len,
                             size_t max_len, crpc_bytes *out,
                             crpc_status *why) {
  const char *name = crpc_encoding_name(e);
  size_t start = out->len, left = len, produced, room;
  z_stream zs;
  crpc_code rc;
  int r;

  memset(&zs, 0, sizeof(zs));
  zs.zalloc = zalloc;
  zs.zfree = zfree;
  r = inflateInit2(&zs, window_bits(e));
  if (r != Z_OK)
    return crpc_status_set(
        why, r == Z_MEM_ERROR ? CRPC_RESOURCE_EXHAUSTED : CRPC_INTERNAL,
        "%s: cannot start decompressing", name);
  zs.next_in = (Bytef *)in;
  for (;;) {
    if (zs.avail_in == 0) {
      zs.avail_in = clamp(left);
      left -= zs.avail_in;
    }
    /* Room for one byte past the limit, to tell "exactly max" from "more". */
    produced = out->len - start;
    room = max_len - produced < SIZE_MAX ? max_len - produced + 1 : SIZE_MAX;
    if (out->len == out->cap) {
      rc = crpc_bytes_reserve(out, room < MIN_GROWTH ? room : MIN_GROWTH);
      if (rc != CRPC_OK) {
        crpc_status_set(why, rc, "out of memory decompressing %s", name);
        goto fail;
      }
    }
    zs.next_out = out->data + out->len;
    zs.avail_out =
        clamp(out->cap - out->len < room ? out->cap - out->len : room);
    r = inflate(&zs, Z_NO_FLUSH);
    out->len = (size_t)(zs.next_out - out->data);
    if (out->len - start > max_len) {
      rc = too_large(why, max_len);
      goto fail;
    }
    switch (r) {
    case Z_STREAM_END:
      /* grpc-core message_compress.cc also refuses unconsumed input. */
      if (zs.avail_in != 0 || left != 0) {
        rc = crpc_status_set(why, CRPC_INTERNAL,
                             "%s: %zu trailing bytes after compressed data",
                             name, (size_t)zs.avail_in + left);
        goto fail;
      }
      inflateEnd(&zs);
      return CRPC_OK;
    case Z_OK:
    case Z_BUF_ERROR:
      /* Output space left and all input consumed: the stream is cut short. */
      if (zs.avail_out != 0 && zs.avail_in == 0 && left == 0) {
        rc = crpc_status_set(why, CRPC_INTERNAL, "%s: truncated input", name);
        goto fail;
      }
      break;
    case Z_MEM_ERROR:
      rc = crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED,
                           "out of memory decompressing %s", name);
      goto fail;
    case Z_NEED_DICT:
      rc = crpc_status_set(why, CRPC_INTERNAL,
                           "%s: preset dictionary not supported", name);
      goto fail;
    default:
      rc = crpc_status_set(why, CRPC_INTERNAL, "%s: corrupt input: %s", name,
                           zs.msg ? zs.msg : "unknown error");
      goto fail;
    }
  }
fail:
  inflateEnd(&zs);
  out->len = start;
  return rc;
}

crpc_code crpc_decompress(crpc_encoding e, const uint8_t *in, size_t len,
                          size_t max_len, crpc_bytes *out, crpc_status *why) {
  crpc_code rc;

  switch (e) {
  case CRPC_ENCODING_IDENTITY:
    if (len > max_len)
      return crpc_status_set(
          why, CRPC_RESOURCE_EXHAUSTED,
          "decompressed message larger than max (%zu vs. %zu)", len, max_len);
    rc = crpc_bytes_append(out, in, len);
    if (rc != CRPC_OK)
      return crpc_status_set(why, rc, "out of memory copying message");
    return CRPC_OK;
  case CRPC_ENCODING_GZIP:
  case CRPC_ENCODING_DEFLATE:
    /* grpc-core message_compress.cc: an empty message stays empty. */
    if (len == 0)
      return CRPC_OK;
    return inflate_all(e, in, len, max_len, out, why);
  default:
    return crpc_status_set(why, CRPC_INTERNAL, "unsupported encoding %d",
                           (int)e);
  }
}
