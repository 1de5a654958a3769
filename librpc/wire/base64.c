/* wire/base64.c: RFC 4648 base64, standard alphabet. */
#include "wire/base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t crpc_base64_encoded_len(size_t n) {
  /* Each full 3-byte group gives 4 characters; a tail of r gives r + 1. */
  return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t crpc_base64_encode(const uint8_t *in, size_t n, char *out) {
  size_t i, o = 0;
  uint32_t v;

  for (i = 0; i + 3 <= n; i += 3) {
    v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 0x3f];
    out[o++] = alphabet[(v >> 6) & 0x3f];
    out[o++] = alphabet[v & 0x3f];
  }
  if (n - i == 1) {
    v = (uint32_t)in[i] << 16;
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 0x3f];
  } else if (n - i == 2) {
    v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 0x3f];
    out[o++] = alphabet[(v >> 6) & 0x3f];
  }
  return o;
}

static int sextet(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

bool crpc_base64_decode(const char *in, size_t len, uint8_t *out,
                        size_t *out_len) {
  size_t i, o = 0, bits = 0;
  uint32_t acc = 0;

  /* Padding is only valid to complete the last group of 4. */
  if (len % 4 == 0 && len > 0 && in[len - 1] == '=') {
    len--;
    if (in[len - 1] == '=')
      len--;
  }
  /* A lone character in the last group cannot encode a whole byte. */
  if (len % 4 == 1)
    return false;
  for (i = 0; i < len; i++) {
    int s = sextet(in[i]);

    if (s < 0)
      return false;
    acc = acc << 6 | (uint32_t)s;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (uint8_t)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  /* Leftover low bits of the last character are ignored, as most do. */
  *out_len = o;
  return true;
}
