/*
 * protoc-gen-crpc/names.c: protobuf-c's naming rules, in C.
 *
 * Each function mirrors its namesake in protobuf-c's protoc-c/c_helpers.cc;
 * a difference here would make generated code name types or descriptors that
 * protoc-c never defined.
 */
#include "names.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "str.h"

/* The ctype functions take unsigned char values; .proto names are ASCII. */
static bool is_upper(char c) { return isupper((unsigned char)c) != 0; }

char *crpc_names_camel_to_lower(const char *name) {
  char *out = crpc_str_alloc(2 * strlen(name) + 1);
  char *o = out;
  bool was_upper = true; /* no '_' before a leading capital */

  for (const char *c = name; *c; c++) {
    bool upper = is_upper(*c);

    if (upper && !was_upper)
      *o++ = '_';
    *o++ = upper ? (char)tolower((unsigned char)*c) : *c;
    was_upper = upper;
  }
  return out;
}

char *crpc_names_camel_to_upper(const char *name) {
  char *out = crpc_str_alloc(2 * strlen(name) + 1);
  char *o = out;
  bool was_upper = true;

  for (const char *c = name; *c; c++) {
    bool upper = is_upper(*c);

    if (upper && !was_upper)
      *o++ = '_';
    *o++ = (char)toupper((unsigned char)*c);
    was_upper = upper;
  }
  return out;
}

char *crpc_names_to_camel(const char *name) {
  char *out = crpc_str_alloc(strlen(name) + 1);
  char *o = out;
  bool next_upper = true;

  for (const char *c = name; *c; c++) {
    if (*c == '_') {
      next_upper = true;
    } else if (next_upper) {
      *o++ = (char)toupper((unsigned char)*c);
      next_upper = false;
    } else {
      *o++ = *c;
    }
  }
  return out;
}

/* Splits |full_name| at dots, skipping empty pieces as protobuf-c's
 * SplitStringUsing does, converts each piece and joins them with "__". */
static char *convert_pieces(const char *full_name,
                            char *(*convert)(const char *)) {
  char *out = crpc_str_dup("");
  const char *c = full_name;

  while (*c) {
    const char *dot = strchr(c, '.');
    size_t len = dot ? (size_t)(dot - c) : strlen(c);

    if (len > 0) {
      char *piece = crpc_str_alloc(len + 1);

      memcpy(piece, c, len);
      out = crpc_str_printf("%s%s%s", out, *out ? "__" : "", convert(piece));
    }
    c += len + (dot ? 1 : 0);
  }
  return out;
}

char *crpc_names_full_to_lower(const char *full_name) {
  return convert_pieces(full_name, crpc_names_camel_to_lower);
}

char *crpc_names_full_to_upper(const char *full_name) {
  return convert_pieces(full_name, crpc_names_camel_to_upper);
}

char *crpc_names_full_to_c(const char *full_name) {
  return convert_pieces(full_name, crpc_names_to_camel);
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t len = strlen(s);
  size_t suffix_len = strlen(suffix);

  return len >= suffix_len && strcmp(s + len - suffix_len, suffix) == 0;
}

char *crpc_names_strip_proto(const char *file_name) {
  char *out = crpc_str_dup(file_name);

  if (has_suffix(out, ".protodevel"))
    out[strlen(out) - strlen(".protodevel")] = '\0';
  else if (has_suffix(out, ".proto"))
    out[strlen(out) - strlen(".proto")] = '\0';
  return out;
}

char *crpc_names_file_symbol(const char *file_name) {
  char *out = crpc_str_alloc(strlen("crpc_file__") + 2 * strlen(file_name) + 1);
  char *o = out + strlen("crpc_file__");

  memcpy(out, "crpc_file__", strlen("crpc_file__"));
  for (const char *c = file_name; *c; c++) {
    if (*c == '/') {
      *o++ = '_';
      *o++ = '_';
    } else {
      *o++ = isalnum((unsigned char)*c) ? *c : '_';
    }
  }
  return out;
}

char *crpc_names_include_guard(const char *file_name) {
  char *out = crpc_str_dup("CRPC_");

  /* Hex codes for anything else keep distinct file names distinct. */
  for (const char *c = file_name; *c; c++) {
    if (isalnum((unsigned char)*c))
      out = crpc_str_printf("%s%c", out, *c);
    else
      out = crpc_str_printf("%s_%x", out, (unsigned char)*c);
  }
  return crpc_str_printf("%s__INCLUDED", out);
}

/* protoc-c's kKeywordList (C++ keywords, a superset of most of C's)... */
static const char *const keywords[] = {
    "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
    "catch", "char", "class", "compl", "const", "const_cast", "continue",
    "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
    "explicit", "extern", "false", "float", "for", "friend", "goto", "if",
    "inline", "int", "long", "mutable", "namespace", "new", "not", "not_eq",
    "operator", "or", "or_eq", "private", "protected", "public", "register",
    "reinterpret_cast", "return", "short", "signed", "sizeof", "static",
    "static_cast", "struct", "switch", "template", "this", "throw", "true",
    "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
    "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
    /* ...plus the C keyword it lacks. */
    "restrict"};

char *crpc_names_member(const char *lower) {
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strcmp(lower, keywords[i]) == 0)
      return crpc_str_printf("%s_", lower);
  return crpc_str_dup(lower);
}

char *crpc_names_c_string(const char *s) {
  char *out = crpc_str_alloc(4 * strlen(s) + 3);
  char *o = out;

  *o++ = '"';
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\') {
      *o++ = '\\';
      *o++ = (char)*c;
    } else if (*c < 0x20 || *c == 0x7f || *c == '?') {
      /* Octal escapes; '?' too, so no trigraph can form. */
      o += sprintf(o, "\\%03o", *c);
    } else {
      *o++ = (char)*c;
    }
  }
  *o++ = '"';
  return out;
}
