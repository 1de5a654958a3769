/* Tests for wire/compress.c. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/mem.h"
#include "wire/compress.h"

#define MIB ((size_t)1 << 20)
#define NO_LIMIT SIZE_MAX
#define STR(s) (s), (sizeof(s) - 1)

static const crpc_encoding zlib_encodings[] = {CRPC_ENCODING_GZIP,
                                               CRPC_ENCODING_DEFLATE};

/* `gzip -c hello.txt` (GNU gzip 1.12): has FNAME and MTIME set. */
static const uint8_t gzip_cli_hello[] = {
    0x1f, 0x8b, 0x08, 0x08, 0xe8, 0x41, 0x02, 0x6b, 0x00, 0x03, 0x68,
    0x65, 0x6c, 0x6c, 0x6f, 0x2e, 0x74, 0x78, 0x74, 0x00, 0xcb, 0x48,
    0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x48, 0x0f, 0x0a, 0x70, 0xe6, 0x02,
    0x00, 0x78, 0x23, 0xd5, 0x1e, 0x0c, 0x00, 0x00, 0x00};

/* Python's zlib.compress(b"hello, gRPC\n", 9): a zlib stream, level 9. */
static const uint8_t zlib_hello[] = {0x78, 0xda, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
                                     0xd7, 0x51, 0x48, 0x0f, 0x0a, 0x70, 0xe6,
                                     0x02, 0x00, 0x1b, 0x7e, 0x03, 0xb7};

static const char hello[] = "hello, gRPC\n";

/* Deterministic bytes: xorshift for incompressible, a phrase for text. */
static uint8_t *make_random(size_t len) {
  uint8_t *p = malloc(len ? len : 1);
  uint64_t x = 0x9e3779b97f4a7c15u;
  size_t i;

  cr_assert_not_null(p);
  for (i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = (uint8_t)x;
  }
  return p;
}

static uint8_t *make_text(size_t len) {
  static const char phrase[] = "The quick brown fox jumps over the lazy dog. ";
  uint8_t *p = malloc(len ? len : 1);
  size_t i;

  cr_assert_not_null(p);
  for (i = 0; i < len; i++)
    p[i] = (uint8_t)phrase[(i * 7 / 3) % (sizeof(phrase) - 1)];
  return p;
}

static void assert_round_trip(crpc_encoding e, const uint8_t *in, size_t len,
                              size_t *packed_len) {
  crpc_bytes packed, plain;
  crpc_status why;

  crpc_bytes_init(&packed);
  crpc_bytes_init(&plain);
  cr_assert_eq(crpc_compress(e, in, len, &packed), CRPC_OK, "%s, %zu B",
               crpc_encoding_name(e), len);
  cr_assert_eq(crpc_decompress(e, packed.data, packed.len, len, &plain, &why),
               CRPC_OK, "%s, %zu B: %s", crpc_encoding_name(e), len,
               why.message);
  cr_assert_eq(plain.len, len);
  if (len)
    cr_assert_eq(memcmp(plain.data, in, len), 0);
  if (packed_len)
    *packed_len = packed.len;
  crpc_bytes_free(&packed);
  crpc_bytes_free(&plain);
}

Test(compress, round_trips_every_size_in_every_encoding) {
  static const crpc_encoding all[] = {
      CRPC_ENCODING_IDENTITY, CRPC_ENCODING_GZIP, CRPC_ENCODING_DEFLATE};
  uint8_t *random = make_random(MIB), *text = make_text(MIB);
  size_t i, packed;

  for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
    assert_round_trip(all[i], (const uint8_t *)"", 0, NULL);
    assert_round_trip(all[i], (const uint8_t *)"x", 1, NULL);
    assert_round_trip(all[i], random, MIB, &packed);
    if (all[i] != CRPC_ENCODING_IDENTITY)
      cr_assert_lt(packed, MIB + MIB / 100, "random data barely grows");
    assert_round_trip(all[i], text, MIB, &packed);
    if (all[i] != CRPC_ENCODING_IDENTITY)
      cr_assert_lt(packed, MIB / 20, "text compresses: %zu", packed);
  }
  free(random);
  free(text);
}

Test(compress, writes_the_formats_grpc_core_writes) {
  crpc_bytes out;
  unsigned header;

  crpc_bytes_init(&out);
  cr_assert_eq(
      crpc_compress(CRPC_ENCODING_GZIP, (const uint8_t *)STR(hello), &out),
      CRPC_OK);
  /* RFC 1952 2.3.1: ID1 ID2 CM=8 (deflate). */
  cr_assert_geq(out.len, 18);
  cr_assert_eq(out.data[0], 0x1f);
  cr_assert_eq(out.data[1], 0x8b);
  cr_assert_eq(out.data[2], 8);
  crpc_bytes_clear(&out);
  cr_assert_eq(
      crpc_compress(CRPC_ENCODING_DEFLATE, (const uint8_t *)STR(hello), &out),
      CRPC_OK);
  /* RFC 1950 2.2: CM=8, CINFO=7 (32 KiB window), CMF*256+FLG % 31 == 0. */
  cr_assert_eq(out.data[0], 0x78);
  header = (unsigned)out.data[0] << 8 | out.data[1];
  cr_assert_eq(header % 31, 0);
  crpc_bytes_free(&out);
}

Test(compress, appends_after_what_out_already_holds) {
  crpc_bytes packed, plain;
  crpc_status why;

  crpc_bytes_init(&packed);
  crpc_bytes_init(&plain);
  crpc_bytes_append(&packed, "AB", 2);
  crpc_bytes_append(&plain, "CD", 2);
  cr_assert_eq(
      crpc_compress(CRPC_ENCODING_GZIP, (const uint8_t *)STR(hello), &packed),
      CRPC_OK);
  cr_assert_eq(memcmp(packed.data, "AB", 2), 0);
  /* The limit counts only this message's bytes, not the two already there. */
  cr_assert_eq(crpc_decompress(CRPC_ENCODING_GZIP, packed.data + 2,
                               packed.len - 2, sizeof(hello) - 1, &plain, &why),
               CRPC_OK);
  cr_assert_eq(plain.len, 2 + sizeof(hello) - 1);
  cr_assert_eq(memcmp(plain.data, "CDhello, gRPC\n", plain.len), 0);
  crpc_bytes_free(&packed);
  crpc_bytes_free(&plain);
}

static void assert_decompresses_to_hello(crpc_encoding e, const uint8_t *in,
                                         size_t len) {
  crpc_bytes out;
  crpc_status why;

  crpc_bytes_init(&out);
  cr_assert_eq(crpc_decompress(e, in, len, 1024, &out, &why), CRPC_OK, "%s",
               why.message);
  cr_assert_eq(out.len, sizeof(hello) - 1);
  cr_assert_eq(memcmp(out.data, hello, out.len), 0);
  crpc_bytes_free(&out);
}

Test(compress, accepts_the_gzip_cli_output) {
  assert_decompresses_to_hello(CRPC_ENCODING_GZIP, gzip_cli_hello,
                               sizeof(gzip_cli_hello));
}

Test(compress, accepts_a_zlib_stream_as_deflate) {
  uint8_t packed[128];
  uLongf packed_len = sizeof(packed);

  assert_decompresses_to_hello(CRPC_ENCODING_DEFLATE, zlib_hello,
                               sizeof(zlib_hello));
  cr_assert_eq(compress2(packed, &packed_len, (const Bytef *)hello,
                         sizeof(hello) - 1, Z_BEST_SPEED),
               Z_OK);
  assert_decompresses_to_hello(CRPC_ENCODING_DEFLATE, packed, packed_len);
}

/* zlib's own gzip writer, with the optional header fields gzip(1) sets. */
Test(compress, accepts_zlib_gzip_output_with_a_full_header) {
  static char name[] = "hello.txt", comment[] = "made by zlib";
  uint8_t packed[256];
  gz_header head;
  z_stream zs;

  memset(&zs, 0, sizeof(zs));
  memset(&head, 0, sizeof(head));
  head.time = 1700000000;
  head.os = 3;
  head.name = (Bytef *)name;
  head.comment = (Bytef *)comment;
  head.hcrc = 1;
  cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY),
               Z_OK);
  cr_assert_eq(deflateSetHeader(&zs, &head), Z_OK);
  zs.next_in = (Bytef *)hello;
  zs.avail_in = sizeof(hello) - 1;
  zs.next_out = packed;
  zs.avail_out = sizeof(packed);
  cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
  assert_decompresses_to_hello(CRPC_ENCODING_GZIP, packed, zs.total_out);
  deflateEnd(&zs);
}

Test(compress, rejects_a_stream_in_another_format) {
  uint8_t raw[128];
  crpc_bytes out;
  crpc_status why;
  z_stream zs;

  crpc_bytes_init(&out);
  cr_assert_eq(crpc_decompress(CRPC_ENCODING_DEFLATE, gzip_cli_hello,
                               sizeof(gzip_cli_hello), 1024, &out, &why),
               CRPC_INTERNAL);
  cr_assert_eq(crpc_decompress(CRPC_ENCODING_GZIP, zlib_hello,
                               sizeof(zlib_hello), 1024, &out, &why),
               CRPC_INTERNAL);
  /* gRPC's "deflate" is zlib-wrapped: raw RFC 1951 data is not accepted. */
  memset(&zs, 0, sizeof(zs));
  cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY),
               Z_OK);
  zs.next_in = (Bytef *)hello;
  zs.avail_in = sizeof(hello) - 1;
  zs.next_out = raw;
  zs.avail_out = sizeof(raw);
  cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
  cr_assert_eq(crpc_decompress(CRPC_ENCODING_DEFLATE, raw, zs.total_out, 1024,
                               &out, &why),
               CRPC_INTERNAL);
  deflateEnd(&zs);
  cr_assert_eq(out.len, 0);
  crpc_bytes_free(&out);
}

/* 100 MiB of zeros, deflated a mebibyte at a time (about 100 KiB out);
 * run-length matching is as tight as the default on zeros, and fast. */
static uint8_t *make_bomb(crpc_encoding e, size_t *len) {
  static const size_t out_cap = MIB;
  uint8_t *zeros = calloc(1, MIB), *out = malloc(out_cap);
  z_stream zs;
  int i;

  cr_assert(zeros && out);
  memset(&zs, 0, sizeof(zs));
  cr_assert_eq(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED,
                            e == CRPC_ENCODING_GZIP ? 15 + 16 : 15, 9, Z_RLE),
               Z_OK);
  zs.next_out = out;
  zs.avail_out = out_cap;
  for (i = 0; i < 100; i++) {
    zs.next_in = zeros;
    zs.avail_in = MIB;
    cr_assert_eq(deflate(&zs, i == 99 ? Z_FINISH : Z_NO_FLUSH),
                 i == 99 ? Z_STREAM_END : Z_OK);
    cr_assert_eq(zs.avail_in, 0);
  }
  *len = zs.total_out;
  deflateEnd(&zs);
  free(zeros);
  return out;
}

Test(compress, stops_a_decompression_bomb_early) {
  const size_t limit = 4 * MIB;
  size_t i, len;

  for (i = 0; i < 2; i++) {
    crpc_encoding e = zlib_encodings[i];
    uint8_t *bomb = make_bomb(e, &len);
    crpc_bytes out;
    crpc_status why;
    int64_t start;

    crpc_bytes_init(&out);
    cr_assert_lt(len, 200 * 1024, "%zu", len);
    start = crpc_now_ms();
    cr_assert_eq(crpc_decompress(e, bomb, len, limit, &out, &why),
                 CRPC_RESOURCE_EXHAUSTED, "%s", crpc_encoding_name(e));
    /* Inflating it all would need 100 MiB; we never held more than 2x the
     * limit, and it took a fraction of a full inflate. */
    cr_log_info("%s bomb: %zu B, rejected in %lld ms", crpc_encoding_name(e),
                len, (long long)(crpc_now_ms() - start));
    cr_assert_lt(crpc_now_ms() - start, 1000);
    cr_assert_leq(out.cap, 2 * (limit + 1));
    cr_assert_eq(out.len, 0);
    cr_assert_eq(why.code, CRPC_RESOURCE_EXHAUSTED);
    cr_assert_str_eq(
        why.message,
        "decompressed message larger than max (more than 4194304 vs. 4194304)");
    crpc_bytes_free(&out);
    free(bomb);
  }
}

Test(compress, accepts_exactly_the_limit_and_not_one_byte_more) {
  uint8_t *text = make_text(10000);
  crpc_bytes packed, out;
  crpc_status why;
  size_t i;

  for (i = 0; i < 2; i++) {
    crpc_bytes_init(&packed);
    crpc_bytes_init(&out);
    cr_assert_eq(crpc_compress(zlib_encodings[i], text, 10000, &packed),
                 CRPC_OK);
    cr_assert_eq(crpc_decompress(zlib_encodings[i], packed.data, packed.len,
                                 9999, &out, &why),
                 CRPC_RESOURCE_EXHAUSTED);
    cr_assert_eq(out.len, 0);
    cr_assert_eq(crpc_decompress(zlib_encodings[i], packed.data, packed.len,
                                 10000, &out, &why),
                 CRPC_OK);
    cr_assert_eq(out.len, 10000);
    crpc_bytes_clear(&out);
    cr_assert_eq(crpc_decompress(zlib_encodings[i], packed.data, packed.len,
                                 NO_LIMIT, &out, &why),
                 CRPC_OK);
    cr_assert_eq(out.len, 10000);
    crpc_bytes_free(&packed);
    crpc_bytes_free(&out);
  }
  crpc_bytes_init(&out);
  cr_assert_eq(
      crpc_decompress(CRPC_ENCODING_IDENTITY, text, 10000, 9999, &out, &why),
      CRPC_RESOURCE_EXHAUSTED);
  cr_assert_str_eq(why.message,
                   "decompressed message larger than max (10000 vs. 9999)");
  cr_assert_eq(
      crpc_decompress(CRPC_ENCODING_IDENTITY, text, 10000, 10000, &out, &why),
      CRPC_OK);
  cr_assert_eq(out.len, 10000);
  crpc_bytes_free(&out);
  free(text);
}

static void assert_internal(crpc_encoding e, const uint8_t *in, size_t len,
                            const char *what) {
  crpc_bytes out;
  crpc_status why;

  crpc_bytes_init(&out);
  memset(&why, 0, sizeof(why));
  cr_assert_eq(crpc_decompress(e, in, len, NO_LIMIT, &out, &why), CRPC_INTERNAL,
               "%s %s (%zu B)", crpc_encoding_name(e), what, len);
  cr_assert_eq(why.code, CRPC_INTERNAL);
  cr_assert_neq(why.message[0], '\0');
  cr_assert_eq(out.len, 0);
  crpc_bytes_free(&out);
}

Test(compress, rejects_every_truncation) {
  uint8_t *text = make_text(5000);
  crpc_bytes packed;
  size_t i, cut;

  for (i = 0; i < 2; i++) {
    crpc_bytes_init(&packed);
    cr_assert_eq(crpc_compress(zlib_encodings[i], text, 5000, &packed),
                 CRPC_OK);
    /* Cut 0 is the empty message, which grpc-core decodes as empty. */
    for (cut = 1; cut < packed.len; cut++)
      assert_internal(zlib_encodings[i], packed.data, cut, "truncated");
    crpc_bytes_free(&packed);
  }
  free(text);
}

Test(compress, rejects_corrupt_input) {
  uint8_t bad[sizeof(gzip_cli_hello) + 1];

  /* Bad magic, bad method, bad check value, and trailing garbage. */
  memcpy(bad, gzip_cli_hello, sizeof(gzip_cli_hello));
  bad[1] ^= 0xff;
  assert_internal(CRPC_ENCODING_GZIP, bad, sizeof(gzip_cli_hello), "magic");
  memcpy(bad, gzip_cli_hello, sizeof(gzip_cli_hello));
  bad[2] = 7;
  assert_internal(CRPC_ENCODING_GZIP, bad, sizeof(gzip_cli_hello), "method");
  memcpy(bad, gzip_cli_hello, sizeof(gzip_cli_hello));
  bad[sizeof(gzip_cli_hello) - 8] ^= 1;
  assert_internal(CRPC_ENCODING_GZIP, bad, sizeof(gzip_cli_hello), "crc");
  memcpy(bad, gzip_cli_hello, sizeof(gzip_cli_hello));
  bad[sizeof(gzip_cli_hello) - 1] ^= 1;
  assert_internal(CRPC_ENCODING_GZIP, bad, sizeof(gzip_cli_hello), "isize");
  memcpy(bad, gzip_cli_hello, sizeof(gzip_cli_hello));
  bad[sizeof(gzip_cli_hello)] = 0;
  assert_internal(CRPC_ENCODING_GZIP, bad, sizeof(bad), "trailing");

  memcpy(bad, zlib_hello, sizeof(zlib_hello));
  bad[1] ^= 1;
  assert_internal(CRPC_ENCODING_DEFLATE, bad, sizeof(zlib_hello), "fcheck");
  memcpy(bad, zlib_hello, sizeof(zlib_hello));
  bad[sizeof(zlib_hello) - 1] ^= 1;
  assert_internal(CRPC_ENCODING_DEFLATE, bad, sizeof(zlib_hello), "adler");
  memcpy(bad, zlib_hello, sizeof(zlib_hello));
  bad[sizeof(zlib_hello)] = 0;
  assert_internal(CRPC_ENCODING_DEFLATE, bad, sizeof(zlib_hello) + 1,
                  "trailing");
  /* A zlib header asking for a preset dictionary (FDICT). */
  assert_internal(CRPC_ENCODING_DEFLATE, (const uint8_t *)"\x78\xbb\0\0\0\1", 6,
                  "fdict");
  assert_internal(CRPC_ENCODING_DEFLATE, (const uint8_t *)"\xff\xff\xff\xff", 4,
                  "garbage");
}

Test(compress, decodes_an_empty_message_as_empty) {
  crpc_bytes out;
  crpc_status why;

  crpc_bytes_init(&out);
  cr_assert_eq(
      crpc_decompress(CRPC_ENCODING_GZIP, NULL, 0, NO_LIMIT, &out, &why),
      CRPC_OK);
  cr_assert_eq(crpc_decompress(CRPC_ENCODING_DEFLATE, NULL, 0, 0, &out, &why),
               CRPC_OK);
  cr_assert_eq(out.len, 0);
  crpc_bytes_free(&out);
}

Test(compress, parses_exactly_the_three_names) {
  static const char *const bad[] = {
      "",        "GZIP",      "Gzip", "gzip ",  " gzip", "x-gzip", "snappy",
      "identit", "identityy", "zstd", "deflat", "gzip,", "*",
  };
  size_t i;

  cr_assert_eq(crpc_encoding_parse(STR("identity")), CRPC_ENCODING_IDENTITY);
  cr_assert_eq(crpc_encoding_parse(STR("gzip")), CRPC_ENCODING_GZIP);
  cr_assert_eq(crpc_encoding_parse(STR("deflate")), CRPC_ENCODING_DEFLATE);
  /* Length decides, not a NUL. */
  cr_assert_eq(crpc_encoding_parse("gzipx", 4), CRPC_ENCODING_GZIP);
  cr_assert_eq(crpc_encoding_parse("gzip\0", 5), CRPC_ENCODING_UNKNOWN);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    cr_assert_eq(crpc_encoding_parse(bad[i], strlen(bad[i])),
                 CRPC_ENCODING_UNKNOWN, "\"%s\"", bad[i]);
}

Test(compress, names_the_encodings) {
  cr_assert_str_eq(crpc_encoding_name(CRPC_ENCODING_IDENTITY), "identity");
  cr_assert_str_eq(crpc_encoding_name(CRPC_ENCODING_GZIP), "gzip");
  cr_assert_str_eq(crpc_encoding_name(CRPC_ENCODING_DEFLATE), "deflate");
  cr_assert_null(crpc_encoding_name(CRPC_ENCODING_UNKNOWN));
  cr_assert_null(crpc_encoding_name((crpc_encoding)3));
  cr_assert_str_eq(crpc_encoding_accept, "identity,deflate,gzip");
}

Test(compress, refuses_unknown_encodings) {
  crpc_bytes out;
  crpc_status why;

  crpc_bytes_init(&out);
  cr_assert_eq(
      crpc_compress(CRPC_ENCODING_UNKNOWN, (const uint8_t *)"x", 1, &out),
      CRPC_INTERNAL);
  cr_assert_eq(crpc_decompress(CRPC_ENCODING_UNKNOWN, (const uint8_t *)"x", 1,
                               NO_LIMIT, &out, &why),
               CRPC_INTERNAL);
  cr_assert_eq(why.code, CRPC_INTERNAL);
  cr_assert_eq(out.len, 0);
  crpc_bytes_free(&out);
}

static bool accepts(const char *list, crpc_encoding e) {
  return crpc_encoding_is_accepted(list, strlen(list), e);
}

Test(compress, reads_accept_encoding_lists) {
  cr_assert(accepts("gzip", CRPC_ENCODING_GZIP));
  cr_assert_not(accepts("gzip", CRPC_ENCODING_DEFLATE));
  cr_assert(accepts("identity, gzip", CRPC_ENCODING_GZIP));
  cr_assert_not(accepts("identity, gzip", CRPC_ENCODING_DEFLATE));
  cr_assert(accepts("deflate,gzip", CRPC_ENCODING_DEFLATE));
  cr_assert(accepts("deflate,gzip", CRPC_ENCODING_GZIP));
  cr_assert(accepts(" ,gzip ,, \tdeflate, ", CRPC_ENCODING_DEFLATE));
  cr_assert(accepts(crpc_encoding_accept, CRPC_ENCODING_GZIP));
  cr_assert(accepts(crpc_encoding_accept, CRPC_ENCODING_DEFLATE));
  /* Whole tokens only, exact case. */
  cr_assert_not(accepts("gzipx", CRPC_ENCODING_GZIP));
  cr_assert_not(accepts("x-gzip", CRPC_ENCODING_GZIP));
  cr_assert_not(accepts("GZIP", CRPC_ENCODING_GZIP));
  cr_assert_not(accepts("snappy", CRPC_ENCODING_GZIP));
  cr_assert_not(accepts("", CRPC_ENCODING_GZIP));
  cr_assert_not(accepts(", ,", CRPC_ENCODING_DEFLATE));
  cr_assert_not(crpc_encoding_is_accepted("gzip", 3, CRPC_ENCODING_GZIP));
  /* Identity always; unknown never. */
  cr_assert(accepts("", CRPC_ENCODING_IDENTITY));
  cr_assert(accepts("gzip", CRPC_ENCODING_IDENTITY));
  cr_assert_not(accepts("gzip", CRPC_ENCODING_UNKNOWN));
}

/* Rerun with allocation failing after n allocations, for n = 0, 1, ... */
Test(compress, fails_cleanly_when_out_of_memory) {
  uint8_t *text = make_text(64 * 1024);
  crpc_bytes packed, out;
  crpc_status why;
  crpc_code rc;
  size_t i;
  long n;

  for (i = 0; i < 2; i++) {
    crpc_encoding e = zlib_encodings[i];

    crpc_bytes_init(&packed);
    for (n = 0;; n++) {
      crpc_bytes_init(&out);
      crpc_bytes_append(&out, "keep", 4);
      crpc_mem_fail_after(n);
      rc = crpc_compress(e, text, 64 * 1024, &out);
      crpc_mem_fail_after(-1);
      if (rc == CRPC_OK)
        break;
      cr_assert_eq(rc, CRPC_RESOURCE_EXHAUSTED, "compress, n = %ld", n);
      cr_assert_eq(out.len, 4);
      cr_assert_eq(memcmp(out.data, "keep", 4), 0);
      crpc_bytes_free(&out);
    }
    cr_assert_gt(n, 1, "zlib allocates through crpc_mem");
    cr_assert_eq(crpc_bytes_append(&packed, out.data + 4, out.len - 4),
                 CRPC_OK);
    crpc_bytes_free(&out);

    for (n = 0;; n++) {
      crpc_bytes_init(&out);
      crpc_bytes_append(&out, "keep", 4);
      crpc_mem_fail_after(n);
      rc = crpc_decompress(e, packed.data, packed.len, NO_LIMIT, &out, &why);
      crpc_mem_fail_after(-1);
      if (rc == CRPC_OK)
        break;
      cr_assert_eq(rc, CRPC_RESOURCE_EXHAUSTED, "decompress, n = %ld: %s", n,
                   why.message);
      cr_assert_eq(why.code, CRPC_RESOURCE_EXHAUSTED);
      cr_assert_eq(out.len, 4);
      cr_assert_eq(memcmp(out.data, "keep", 4), 0);
      crpc_bytes_free(&out);
    }
    cr_assert_gt(n, 2, "zlib allocates through crpc_mem");
    cr_assert_eq(out.len, 4 + 64 * 1024);
    cr_assert_eq(memcmp(out.data + 4, text, 64 * 1024), 0);
    crpc_bytes_free(&out);
    crpc_bytes_free(&packed);
  }
  free(text);
}
