/* wire/metadata.c: custom metadata, an ordered list of key/value pairs. */
#include "wire/metadata.h"

#include <string.h>

#include "base/arena.h"
#include "base/mem.h"
#include "wire/base64.h"

/*
 * One allocation per entry, the key and value stored after the struct, so
 * that pointers handed out stay valid while other entries come and go.
 * Metadata made in an arena takes everything from it and frees nothing:
 * the arena's owner frees it all at once.
 */
struct entry {
  char *key;
  char *value;
  size_t value_len;
};

struct crpc_metadata {
  struct entry **entries;
  size_t count;
  size_t cap;
  crpc_arena *arena; /* NULL: on the heap */
};

static void *md_alloc(const crpc_metadata *md, size_t n) {
  return md->arena != NULL ? crpc_arena_alloc(md->arena, n)
                           : crpc_mem_malloc(n);
}

static void md_free(const crpc_metadata *md, void *p) {
  if (md->arena == NULL)
    crpc_mem_free(p);
}

CRPC_API crpc_code crpc_metadata_new(crpc_metadata **out) {
  crpc_metadata *md = crpc_mem_calloc(1, sizeof(*md));

  if (md == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  *out = md;
  return CRPC_OK;
}

crpc_code crpc_metadata_new_in_arena(crpc_metadata **out, crpc_arena *arena) {
  crpc_metadata *md = crpc_arena_alloc(arena, sizeof(*md));

  if (md == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  *md = (crpc_metadata){.arena = arena};
  *out = md;
  return CRPC_OK;
}

CRPC_API void crpc_metadata_clear(crpc_metadata *md) {
  size_t i;

  for (i = 0; i < md->count; i++)
    md_free(md, md->entries[i]);
  md->count = 0;
}

CRPC_API void crpc_metadata_free(crpc_metadata *md) {
  if (md == NULL)
    return;
  crpc_metadata_clear(md);
  md_free(md, md->entries);
  md_free(md, md);
}

CRPC_API size_t crpc_metadata_count(const crpc_metadata *md) {
  return md->count;
}

CRPC_API bool crpc_metadata_at(const crpc_metadata *md, size_t i,
                               const char **key, const char **value,
                               size_t *value_len) {
  if (i >= md->count)
    return false;
  if (key)
    *key = md->entries[i]->key;
  if (value)
    *value = md->entries[i]->value;
  if (value_len)
    *value_len = md->entries[i]->value_len;
  return true;
}

CRPC_API const char *crpc_metadata_get(const crpc_metadata *md, const char *key,
                                       size_t *value_len) {
  size_t i;

  for (i = 0; i < md->count; i++) {
    if (strcmp(md->entries[i]->key, key) == 0) {
      if (value_len)
        *value_len = md->entries[i]->value_len;
      return md->entries[i]->value;
    }
  }
  return NULL;
}

/*
 * Allocates an entry with room for the key and |value_room| value bytes
 * (plus NULs) and makes sure the array can take it, so that the caller's
 * append cannot fail afterwards.
 */
static struct entry *new_entry(crpc_metadata *md, const char *key,
                               size_t key_len, size_t value_room) {
  struct entry *e;

  if (md->count == md->cap) {
    size_t cap = md->cap ? md->cap * 2 : 8;
    struct entry **entries;

    if (md->arena == NULL) {
      entries = crpc_mem_realloc(md->entries, cap * sizeof(*entries));
    } else {
      entries = crpc_arena_alloc(md->arena, cap * sizeof(*entries));
      if (entries != NULL && md->count > 0)
        memcpy(entries, md->entries, md->count * sizeof(*entries));
    }
    if (entries == NULL)
      return NULL;
    md->entries = entries;
    md->cap = cap;
  }
  if (value_room > SIZE_MAX - sizeof(*e) - key_len - 2)
    return NULL;
  e = md_alloc(md, sizeof(*e) + key_len + 1 + value_room + 1);
  if (e == NULL)
    return NULL;
  e->key = (char *)(e + 1);
  memcpy(e->key, key, key_len);
  e->key[key_len] = '\0';
  e->value = e->key + key_len + 1;
  return e;
}

static crpc_code add(crpc_metadata *md, const char *key, size_t key_len,
                     const char *value, size_t value_len) {
  struct entry *e = new_entry(md, key, key_len, value_len);

  if (e == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  if (value_len > 0)
    memcpy(e->value, value, value_len);
  e->value[value_len] = '\0';
  e->value_len = value_len;
  md->entries[md->count++] = e;
  return CRPC_OK;
}

CRPC_API crpc_code crpc_metadata_add(crpc_metadata *md, const char *key,
                                     const void *value, size_t value_len) {
  size_t key_len;

  if (md == NULL || key == NULL || (value == NULL && value_len > 0))
    return CRPC_INVALID_ARGUMENT;
  key_len = strlen(key);
  if (!crpc_metadata_key_is_valid(key, key_len) ||
      crpc_metadata_key_is_reserved(key, key_len))
    return CRPC_INVALID_ARGUMENT;
  /* Binary values are base64-encoded on the wire, so any byte is fine. */
  if (!crpc_metadata_key_is_binary(key, key_len) &&
      !crpc_metadata_value_is_valid(value, value_len))
    return CRPC_INVALID_ARGUMENT;
  return add(md, key, key_len, value, value_len);
}

CRPC_API crpc_code crpc_metadata_add_str(crpc_metadata *md, const char *key,
                                         const char *value) {
  if (value == NULL)
    return CRPC_INVALID_ARGUMENT;
  return crpc_metadata_add(md, key, value, strlen(value));
}

crpc_code crpc_metadata_add_wire(crpc_metadata *md, const char *key,
                                 size_t key_len, const char *value,
                                 size_t value_len) {
  struct entry *e;
  size_t decoded_len;

  if (!crpc_metadata_key_is_valid(key, key_len) ||
      crpc_metadata_key_is_reserved(key, key_len))
    return CRPC_OK;
  if (!crpc_metadata_key_is_binary(key, key_len))
    return add(md, key, key_len, value, value_len);

  /* PROTOCOL-HTTP2.md: -bin values are base64, padded or not. */
  e = new_entry(md, key, key_len, CRPC_BASE64_DECODED_MAX(value_len));
  if (e == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  if (!crpc_base64_decode(value, value_len, (uint8_t *)e->value,
                          &decoded_len)) {
    md_free(md, e);
    return CRPC_INTERNAL;
  }
  e->value[decoded_len] = '\0';
  e->value_len = decoded_len;
  md->entries[md->count++] = e;
  return CRPC_OK;
}

/* The bytes of a valid key (PROTOCOL-HTTP2.md: 0-9 a-z _ - .). */
static const unsigned char is_key_byte[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1,
    ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
    ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

bool crpc_metadata_key_is_valid(const char *key, size_t len) {
  size_t i;

  if (len == 0)
    return false;
  for (i = 0; i < len; i++)
    if (!is_key_byte[(uint8_t)key[i]])
      return false;
  return true;
}

bool crpc_metadata_key_is_reserved(const char *key, size_t len) {
  /* Sizes known at compile time let the compiler compare whole words. */
#define IS(s) (memcmp(key, s, sizeof(s) - 1) == 0)
  if (len > 0 && key[0] == ':')
    return true;
  /* PROTOCOL-HTTP2.md: "grpc-" keys are reserved for gRPC itself. */
  if (len >= 5 && IS("grpc-"))
    return true;
  /* By length first: this runs for every header of every call. */
  switch (len) {
  case 2:
    return IS("te");
  case 4:
    return IS("host");
  case 7:
    return IS("upgrade");
  case 10:
    return IS("user-agent") || IS("connection") || IS("keep-alive");
  case 12:
    return IS("content-type");
  case 16:
    return IS("proxy-connection");
  case 17:
    return IS("transfer-encoding");
  default:
    return false;
  }
#undef IS
}

bool crpc_metadata_key_is_binary(const char *key, size_t len) {
  return len >= 4 && memcmp(key + len - 4, "-bin", 4) == 0;
}

bool crpc_metadata_value_is_valid(const char *v, size_t len) {
  size_t i;

  for (i = 0; i < len; i++)
    if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
      return false;
  return true;
}
