/* Tests for wire/base64.c (RFC 4648 test vectors). */
#include <criterion/criterion.h>
#include <string.h>

#include "wire/base64.h"

static const struct {
  const char *plain;
  const char *unpadded;
  const char *padded;
} vectors[] = {
    {"", "", ""},
    {"f", "Zg", "Zg=="},
    {"fo", "Zm8", "Zm8="},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg", "Zm9vYg=="},
    {"fooba", "Zm9vYmE", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

#define N_VECTORS (sizeof(vectors) / sizeof(vectors[0]))

Test(base64, encodes_without_padding) {
  size_t i;

  for (i = 0; i < N_VECTORS; i++) {
    const char *p = vectors[i].plain;
    char out[16];
    size_t n = crpc_base64_encode((const uint8_t *)p, strlen(p), out);

    cr_assert_eq(n, strlen(vectors[i].unpadded), "\"%s\"", p);
    cr_assert_eq(crpc_base64_encoded_len(strlen(p)), n);
    cr_assert_arr_eq(out, vectors[i].unpadded, n);
  }
}

static void assert_decodes(const char *in, const char *want) {
  uint8_t out[CRPC_BASE64_DECODED_MAX(16)];
  size_t n = 99;

  cr_assert(crpc_base64_decode(in, strlen(in), out, &n), "\"%s\"", in);
  cr_assert_eq(n, strlen(want), "\"%s\"", in);
  cr_assert_arr_eq(out, want, n);
}

Test(base64, decodes_padded_and_unpadded_input) {
  size_t i;

  for (i = 0; i < N_VECTORS; i++) {
    assert_decodes(vectors[i].unpadded, vectors[i].plain);
    assert_decodes(vectors[i].padded, vectors[i].plain);
  }
}

Test(base64, round_trips_every_byte_value) {
  uint8_t in[256], out[CRPC_BASE64_DECODED_MAX(344)];
  char enc[344];
  size_t i, n, len;

  for (i = 0; i < sizeof(in); i++)
    in[i] = (uint8_t)i;
  for (len = 0; len <= sizeof(in); len += 37) {
    n = crpc_base64_encode(in, len, enc);
    cr_assert(crpc_base64_decode(enc, n, out, &n));
    cr_assert_eq(n, len);
    cr_assert_arr_eq(out, in, len);
  }
}

Test(base64, rejects_invalid_input) {
  static const char *const bad[] = {
      "Z",      /* one character cannot hold a byte */
      "Zm9vY",  /* same in the last group */
      "Zg=",    /* padding that does not complete a group */
      "Zg===",  /* too much padding */
      "Z===",   /* padding leaves one character */
      "====",   /* nothing but padding */
      "Zm=v",   /* padding in the middle */
      "Zm9v\n", /* whitespace */
      "Zm9-",   /* URL-safe alphabet */
      "Zm9_",   "Zm 9v",
  };
  uint8_t out[16];
  size_t i, n;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    cr_assert_not(crpc_base64_decode(bad[i], strlen(bad[i]), out, &n), "\"%s\"",
                  bad[i]);
}
