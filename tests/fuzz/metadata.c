/*
 * tests/fuzz/metadata.c: decoding what peers put in headers: custom
 * metadata (wire/metadata.h, with base64 "-bin" values), grpc-message's
 * percent-encoding (wire/percent.h) and base64 itself (wire/base64.h).
 *
 * Input: header lines separated by '\n', each "key=value" (the first '='
 * splits; a line without one is a key with an empty value). Every line goes
 * through crpc_metadata_add_wire, and its value through the percent and
 * base64 decoders, each checked against what its header promises.
 */
#include <stdbool.h>
#include <string.h>

#include "crpc/metadata.h"
#include "fuzz.h"
#include "wire/base64.h"
#include "wire/metadata.h"
#include "wire/percent.h"

static bool is_key_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' ||
         c == '.' || c == '-';
}

static void check_percent(const char *v, size_t len) {
  char *out = malloc(len + 1);
  char *in_place = malloc(len + 1);
  crpc_bytes enc;
  size_t n;

  FUZZ_CHECK(out != NULL && in_place != NULL);
  n = crpc_percent_decode(v, len, out);
  FUZZ_CHECK(n <= len);
  /* Decoding in place gives the same bytes. */
  memcpy(in_place, v, len);
  FUZZ_CHECK(crpc_percent_decode(in_place, len, in_place) == n);
  FUZZ_CHECK(memcmp(in_place, out, n) == 0);
  /* Anything encoded decodes back to itself, and is printable ASCII. */
  crpc_bytes_init(&enc);
  FUZZ_CHECK(crpc_percent_encode(v, len, &enc) == CRPC_OK);
  for (size_t i = 0; i < enc.len; i++)
    FUZZ_CHECK(enc.data[i] >= 0x20 && enc.data[i] <= 0x7e);
  char *back = malloc(enc.len + 1);
  FUZZ_CHECK(back != NULL);
  n = crpc_percent_decode((const char *)enc.data, enc.len, back);
  FUZZ_CHECK(n == len && memcmp(back, v, len) == 0);
  free(back);
  crpc_bytes_free(&enc);
  free(in_place);
  free(out);
}

static void check_base64(const char *v, size_t len) {
  uint8_t *out = malloc(CRPC_BASE64_DECODED_MAX(len));
  char *enc = malloc(crpc_base64_encoded_len(len) + 1);
  size_t out_len = 0, n, unpadded = len;

  FUZZ_CHECK(out != NULL && enc != NULL);
  if (crpc_base64_decode(v, len, out, &out_len)) {
    FUZZ_CHECK(out_len <= CRPC_BASE64_DECODED_MAX(len));
    /* The unpadded length follows from the decoded one. */
    while (unpadded > 0 && v[unpadded - 1] == '=')
      unpadded--;
    FUZZ_CHECK(crpc_base64_encoded_len(out_len) == unpadded);
  }
  /* Encoding the raw bytes and decoding gives them back. */
  n = crpc_base64_encode((const uint8_t *)v, len, enc);
  FUZZ_CHECK(n == crpc_base64_encoded_len(len));
  uint8_t *back = malloc(CRPC_BASE64_DECODED_MAX(n));
  FUZZ_CHECK(back != NULL);
  FUZZ_CHECK(crpc_base64_decode(enc, n, back, &out_len));
  FUZZ_CHECK(out_len == len && memcmp(back, v, len) == 0);
  free(back);
  free(enc);
  free(out);
}

static void check_add_wire(crpc_metadata *md, const char *key, size_t key_len,
                           const char *value, size_t value_len) {
  size_t before = crpc_metadata_count(md);
  crpc_code rc = crpc_metadata_add_wire(md, key, key_len, value, value_len);
  bool binary = crpc_metadata_key_is_binary(key, key_len);
  bool wanted = crpc_metadata_key_is_valid(key, key_len) &&
                !crpc_metadata_key_is_reserved(key, key_len);
  const char *k, *v;
  size_t v_len;

  FUZZ_CHECK(rc == CRPC_OK || (rc == CRPC_INTERNAL && binary));
  if (crpc_metadata_key_is_valid(key, key_len))
    for (size_t i = 0; i < key_len; i++)
      FUZZ_CHECK(is_key_char(key[i]));
  if (rc != CRPC_OK || !wanted) {
    FUZZ_CHECK(crpc_metadata_count(md) == before);
    return;
  }
  FUZZ_CHECK(crpc_metadata_count(md) == before + 1);
  FUZZ_CHECK(crpc_metadata_at(md, before, &k, &v, &v_len));
  FUZZ_CHECK(strlen(k) == key_len && memcmp(k, key, key_len) == 0);
  FUZZ_CHECK(v[v_len] == '\0');
  if (binary) {
    uint8_t *raw = malloc(CRPC_BASE64_DECODED_MAX(value_len));
    size_t raw_len;
    FUZZ_CHECK(raw != NULL);
    FUZZ_CHECK(crpc_base64_decode(value, value_len, raw, &raw_len));
    FUZZ_CHECK(v_len == raw_len && memcmp(v, raw, raw_len) == 0);
    free(raw);
  } else {
    FUZZ_CHECK(v_len == value_len && memcmp(v, value, value_len) == 0);
  }
  FUZZ_CHECK(crpc_metadata_at(md, before + 1, &k, &v, &v_len) == false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size;
  crpc_metadata *md;

  FUZZ_CHECK(crpc_metadata_new(&md) == CRPC_OK);
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = nl ? nl : end;
    const char *eq = memchr(p, '=', (size_t)(line_end - p));
    size_t key_len = (size_t)((eq ? eq : line_end) - p);
    const char *value = eq ? eq + 1 : line_end;
    size_t value_len = (size_t)(line_end - value);

    /* Exact-size copies, so a read past either end is caught. */
    char *key = malloc(key_len ? key_len : 1);
    char *val = malloc(value_len ? value_len : 1);
    FUZZ_CHECK(key != NULL && val != NULL);
    memcpy(key, p, key_len);
    memcpy(val, value, value_len);
    check_add_wire(md, key, key_len, val, value_len);
    check_percent(val, value_len);
    check_base64(val, value_len);
    free(val);
    free(key);
    p = line_end + (nl != NULL);
  }
  /* Lookups by a key that went in find it. */
  for (size_t i = 0; i < crpc_metadata_count(md); i++) {
    const char *k, *v, *first;
    size_t v_len;
    FUZZ_CHECK(crpc_metadata_at(md, i, &k, &v, &v_len));
    first = crpc_metadata_get(md, k, NULL);
    FUZZ_CHECK(first != NULL);
  }
  crpc_metadata_free(md);
  return 0;
}
