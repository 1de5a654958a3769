/* Tests for wire/metadata.c: the public list and the wire helpers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "wire/metadata.h"

#define KEY(s) (s), strlen(s)

Test(metadata, keeps_entries_in_order_with_repeats) {
  crpc_metadata *md;
  const char *k, *v;
  size_t len;

  cr_assert_eq(crpc_metadata_new(&md), CRPC_OK);
  cr_assert_eq(crpc_metadata_count(md), 0);
  cr_assert_eq(crpc_metadata_add_str(md, "x-user", "ada"), CRPC_OK);
  cr_assert_eq(crpc_metadata_add_str(md, "x-tag", "a"), CRPC_OK);
  cr_assert_eq(crpc_metadata_add(md, "x-tag", "bc", 2), CRPC_OK);
  cr_assert_eq(crpc_metadata_count(md), 3);
  cr_assert(crpc_metadata_at(md, 2, &k, &v, &len));
  cr_assert_str_eq(k, "x-tag");
  cr_assert_str_eq(v, "bc");
  cr_assert_eq(len, 2);
  cr_assert_not(crpc_metadata_at(md, 3, &k, &v, &len));
  cr_assert_str_eq(crpc_metadata_get(md, "x-tag", &len), "a");
  cr_assert_eq(len, 1);
  cr_assert_null(crpc_metadata_get(md, "x-none", NULL));
  crpc_metadata_clear(md);
  cr_assert_eq(crpc_metadata_count(md), 0);
  cr_assert_null(crpc_metadata_get(md, "x-user", NULL));
  crpc_metadata_free(md);
  crpc_metadata_free(NULL);
}

Test(metadata, keeps_returned_pointers_valid_as_the_list_grows) {
  crpc_metadata *md;
  const char *first;
  char key[16];
  int i;

  cr_assert_eq(crpc_metadata_new(&md), CRPC_OK);
  crpc_metadata_add_str(md, "k", "first");
  first = crpc_metadata_get(md, "k", NULL);
  for (i = 0; i < 100; i++) {
    snprintf(key, sizeof(key), "k%d", i);
    cr_assert_eq(crpc_metadata_add_str(md, key, "v"), CRPC_OK);
  }
  cr_assert_eq(crpc_metadata_get(md, "k", NULL), first);
  cr_assert_str_eq(first, "first");
  crpc_metadata_free(md);
}

Test(metadata, stores_binary_values_with_nul_bytes) {
  crpc_metadata *md;
  const char *v;
  size_t len;

  cr_assert_eq(crpc_metadata_new(&md), CRPC_OK);
  cr_assert_eq(crpc_metadata_add(md, "trace-bin", "\0\xff\n", 3), CRPC_OK);
  v = crpc_metadata_get(md, "trace-bin", &len);
  cr_assert_eq(len, 3);
  cr_assert_arr_eq(v, "\0\xff\n", 3);
  cr_assert_eq(v[3], '\0');
  cr_assert_eq(crpc_metadata_add(md, "empty", NULL, 0), CRPC_OK);
  cr_assert_str_eq(crpc_metadata_get(md, "empty", NULL), "");
  crpc_metadata_free(md);
}

Test(metadata, refuses_reserved_and_malformed_keys_and_bad_values) {
  static const char *const bad_keys[] = {
      "",           "X-User",       "x user",    ":path",      "grpc-timeout",
      "grpc-",      "content-type", "te",        "user-agent", "host",
      "connection", "x/y",          "x\xc3\xa9",
  };
  crpc_metadata *md;
  size_t i;

  cr_assert_eq(crpc_metadata_new(&md), CRPC_OK);
  for (i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++)
    cr_assert_eq(crpc_metadata_add_str(md, bad_keys[i], "v"),
                 CRPC_INVALID_ARGUMENT, "key \"%s\"", bad_keys[i]);
  cr_assert_eq(crpc_metadata_add_str(md, "x-a", "line\n"),
               CRPC_INVALID_ARGUMENT);
  cr_assert_eq(crpc_metadata_add_str(md, "x-a", "caf\xc3\xa9"),
               CRPC_INVALID_ARGUMENT);
  cr_assert_eq(crpc_metadata_add(md, "x-a", "a\0b", 3), CRPC_INVALID_ARGUMENT);
  cr_assert_eq(crpc_metadata_add_str(md, NULL, "v"), CRPC_INVALID_ARGUMENT);
  cr_assert_eq(crpc_metadata_add_str(md, "x-a", NULL), CRPC_INVALID_ARGUMENT);
  cr_assert_eq(crpc_metadata_add(md, "x-a", NULL, 1), CRPC_INVALID_ARGUMENT);
  cr_assert_eq(crpc_metadata_count(md), 0);
  cr_assert_eq(crpc_metadata_add_str(md, "a.b_c-9", " ~"), CRPC_OK);
  crpc_metadata_free(md);
}

Test(metadata, validates_keys) {
  cr_assert(crpc_metadata_key_is_valid(KEY("abc-0_9.x")));
  cr_assert(crpc_metadata_key_is_valid(KEY("x-bin")));
  cr_assert_not(crpc_metadata_key_is_valid(KEY("")));
  cr_assert_not(crpc_metadata_key_is_valid(KEY("Abc")));
  cr_assert_not(crpc_metadata_key_is_valid(KEY(":authority")));
  cr_assert_not(crpc_metadata_key_is_valid("ab\0c", 4));
}

Test(metadata, knows_reserved_keys) {
  cr_assert(crpc_metadata_key_is_reserved(KEY(":status")));
  cr_assert(crpc_metadata_key_is_reserved(KEY("grpc-status")));
  cr_assert(crpc_metadata_key_is_reserved(KEY("grpc-status-details-bin")));
  cr_assert(crpc_metadata_key_is_reserved(KEY("content-type")));
  cr_assert(crpc_metadata_key_is_reserved(KEY("te")));
  cr_assert(crpc_metadata_key_is_reserved(KEY("transfer-encoding")));
  cr_assert_not(crpc_metadata_key_is_reserved(KEY("grpc")));
  cr_assert_not(crpc_metadata_key_is_reserved(KEY("tee")));
  cr_assert_not(crpc_metadata_key_is_reserved(KEY("x-grpc-thing")));
  cr_assert(crpc_metadata_key_is_reserved(KEY("upgrade")));
  cr_assert(crpc_metadata_key_is_reserved(KEY("proxy-connection")));
  cr_assert_not(crpc_metadata_key_is_reserved(KEY("hostx")));
  cr_assert_not(crpc_metadata_key_is_reserved(KEY("upgrad")));
  /* Only the first 2 bytes are the key: "te". */
  cr_assert(crpc_metadata_key_is_reserved("tex", 2));
}

Test(metadata, recognises_binary_keys) {
  cr_assert(crpc_metadata_key_is_binary(KEY("trace-bin")));
  cr_assert(crpc_metadata_key_is_binary(KEY("-bin")));
  cr_assert_not(crpc_metadata_key_is_binary(KEY("bin")));
  cr_assert_not(crpc_metadata_key_is_binary(KEY("trace-bin2")));
}

Test(metadata, validates_values) {
  cr_assert(crpc_metadata_value_is_valid(KEY("")));
  cr_assert(crpc_metadata_value_is_valid(KEY(" !~")));
  cr_assert_not(crpc_metadata_value_is_valid(KEY("\t")));
  cr_assert_not(crpc_metadata_value_is_valid(KEY("\x7f")));
  cr_assert_not(crpc_metadata_value_is_valid(KEY("\x80")));
}

Test(metadata, adds_wire_headers_skipping_reserved_ones) {
  crpc_metadata *md;
  const char *v;
  size_t len;

  cr_assert_eq(crpc_metadata_new(&md), CRPC_OK);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY(":path"), KEY("/a/b")), CRPC_OK);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("grpc-timeout"), KEY("1S")),
               CRPC_OK);
  cr_assert_eq(
      crpc_metadata_add_wire(md, KEY("content-type"), KEY("application/grpc")),
      CRPC_OK);
  cr_assert_eq(crpc_metadata_count(md), 0);
  /* obs-text from a peer is kept as is. */
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("x-name"), KEY("caf\xc3\xa9")),
               CRPC_OK);
  /* Only key_len bytes of the key count. */
  cr_assert_eq(crpc_metadata_add_wire(md, "x-abc", 3, "vv", 1), CRPC_OK);
  cr_assert_eq(crpc_metadata_count(md), 2);
  cr_assert_str_eq(crpc_metadata_get(md, "x-name", &len), "caf\xc3\xa9");
  v = crpc_metadata_get(md, "x-a", &len);
  cr_assert_str_eq(v, "v");
  crpc_metadata_free(md);
}

Test(metadata, decodes_binary_wire_values_padded_or_not) {
  crpc_metadata *md;
  const char *k, *v;
  size_t len;

  cr_assert_eq(crpc_metadata_new(&md), CRPC_OK);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("a-bin"), KEY("AP8K")), CRPC_OK);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("b-bin"), KEY("Zg==")), CRPC_OK);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("c-bin"), KEY("Zg")), CRPC_OK);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("d-bin"), KEY("")), CRPC_OK);
  cr_assert(crpc_metadata_at(md, 0, &k, &v, &len));
  cr_assert_eq(len, 3);
  cr_assert_arr_eq(v, "\0\xff\n", 3);
  cr_assert_str_eq(crpc_metadata_get(md, "b-bin", NULL), "f");
  cr_assert_str_eq(crpc_metadata_get(md, "c-bin", NULL), "f");
  cr_assert_str_eq(crpc_metadata_get(md, "d-bin", &len), "");
  cr_assert_eq(len, 0);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("e-bin"), KEY("Z")),
               CRPC_INTERNAL);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("e-bin"), KEY("Zm9v!")),
               CRPC_INTERNAL);
  cr_assert_eq(crpc_metadata_count(md), 4);
  crpc_metadata_free(md);
}

/* Builds a list through every allocating path. */
static crpc_code build(crpc_metadata **out) {
  crpc_metadata *md = NULL;
  crpc_code rc;
  char key[16];
  int i;

  rc = crpc_metadata_new(&md);
  if (rc != CRPC_OK)
    goto fail;
  for (i = 0; i < 20; i++) {
    snprintf(key, sizeof(key), "k%d", i);
    rc = crpc_metadata_add_str(md, key, "value");
    if (rc != CRPC_OK)
      goto fail;
  }
  rc = crpc_metadata_add_wire(md, KEY("x-bin"), KEY("Zm9vYmFy"));
  if (rc != CRPC_OK)
    goto fail;
  rc = crpc_metadata_add_wire(md, KEY("x-wire"), KEY("v"));
  if (rc != CRPC_OK)
    goto fail;
  *out = md;
  return CRPC_OK;
fail:
  crpc_metadata_free(md);
  return rc;
}

Test(metadata, fails_cleanly_when_out_of_memory) {
  crpc_metadata *md = NULL;
  crpc_code rc;
  long n;

  for (n = 0;; n++) {
    crpc_mem_fail_after(n);
    rc = build(&md);
    crpc_mem_fail_after(-1);
    if (rc == CRPC_OK)
      break;
    cr_assert_eq(rc, CRPC_RESOURCE_EXHAUSTED, "n = %ld", n);
  }
  cr_assert_gt(n, 20);
  cr_assert_eq(crpc_metadata_count(md), 22);
  cr_assert_str_eq(crpc_metadata_get(md, "x-bin", NULL), "foobar");
  crpc_metadata_free(md);
}

Test(metadata, leaves_the_list_unchanged_when_an_add_fails) {
  crpc_metadata *md;

  cr_assert_eq(crpc_metadata_new(&md), CRPC_OK);
  crpc_metadata_add_str(md, "a", "1");
  crpc_mem_fail_after(0);
  cr_assert_eq(crpc_metadata_add_str(md, "b", "2"), CRPC_RESOURCE_EXHAUSTED);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("c-bin"), KEY("Zg")),
               CRPC_RESOURCE_EXHAUSTED);
  crpc_mem_fail_after(-1);
  cr_assert_eq(crpc_metadata_count(md), 1);
  cr_assert_str_eq(crpc_metadata_get(md, "a", NULL), "1");
  crpc_metadata_free(md);
}

Test(metadata, lives_in_an_arena_without_touching_the_heap) {
  _Alignas(16) uint8_t block[4096];
  crpc_arena arena;
  crpc_metadata *md;
  const char *first;
  size_t len;
  char key[16];

  crpc_arena_init(&arena, block, sizeof(block));
  /* Every allocation must come from the arena's block. */
  crpc_mem_fail_after(0);
  cr_assert_eq(crpc_metadata_new_in_arena(&md, &arena), CRPC_OK);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("x-0"), KEY("v0")), CRPC_OK);
  first = crpc_metadata_get(md, "x-0", NULL);
  for (int i = 1; i < 20; i++) { /* past the first array of 8 */
    snprintf(key, sizeof(key), "x-%d", i);
    cr_assert_eq(crpc_metadata_add_wire(md, KEY(key), KEY("v")), CRPC_OK);
  }
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("x-bin"), KEY("Zm9vYmFy")),
               CRPC_OK);
  cr_assert_eq(crpc_metadata_add_wire(md, KEY("y-bin"), KEY("!!")),
               CRPC_INTERNAL);
  cr_assert_eq(crpc_metadata_add(md, "z", "last", 4), CRPC_OK);
  crpc_mem_fail_after(-1);

  cr_assert_eq(crpc_metadata_count(md), 22);
  cr_assert_eq(crpc_metadata_get(md, "x-0", NULL), first);
  cr_assert_str_eq(first, "v0");
  cr_assert_str_eq(crpc_metadata_get(md, "x-19", NULL), "v");
  cr_assert_str_eq(crpc_metadata_get(md, "x-bin", &len), "foobar");
  cr_assert_eq(len, 6);
  cr_assert_null(crpc_metadata_get(md, "y-bin", NULL));
  /* Frees nothing (the sanitizers would catch a free of arena memory). */
  crpc_metadata_clear(md);
  cr_assert_eq(crpc_metadata_count(md), 0);
  crpc_metadata_free(md);
  crpc_arena_free(&arena);
}

Test(metadata, spills_into_the_arena_heap_chunks) {
  _Alignas(16) uint8_t block[64];
  crpc_arena arena;
  crpc_metadata *md;
  char key[16], value[64];

  crpc_arena_init(&arena, block, sizeof(block));
  cr_assert_eq(crpc_metadata_new_in_arena(&md, &arena), CRPC_OK);
  for (int i = 0; i < 100; i++) {
    snprintf(key, sizeof(key), "k%d", i);
    snprintf(value, sizeof(value), "value number %d", i);
    cr_assert_eq(crpc_metadata_add_wire(md, KEY(key), KEY(value)), CRPC_OK);
  }
  cr_assert_eq(crpc_metadata_count(md), 100);
  cr_assert_str_eq(crpc_metadata_get(md, "k0", NULL), "value number 0");
  cr_assert_str_eq(crpc_metadata_get(md, "k99", NULL), "value number 99");
  crpc_metadata_free(md);
  crpc_arena_free(&arena); /* leaks, if any, show under the sanitizers */
}
