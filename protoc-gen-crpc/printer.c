/*
 * protoc-gen-crpc/printer.c: text output with comment and wrapping helpers.
 */
#include "printer.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#define COLUMNS 80

void crpc_printer_init(crpc_printer *p) {
  p->cap = 4096;
  p->data = crpc_str_alloc(p->cap);
  p->len = 0;
}

static void append(crpc_printer *p, const char *s, size_t len) {
  if (p->len + len + 1 > p->cap) {
    size_t cap = p->cap;
    char *grown;

    while (p->len + len + 1 > cap)
      cap *= 2;
    /* The old block is freed at exit with the rest (see str.h). */
    grown = crpc_str_alloc(cap);
    memcpy(grown, p->data, p->len);
    p->data = grown;
    p->cap = cap;
  }
  memcpy(p->data + p->len, s, len);
  p->len += len;
  p->data[p->len] = '\0';
}

void crpc_printer_printf(crpc_printer *p, const char *fmt, ...) {
  va_list ap;
  char *s;

  va_start(ap, fmt);
  s = crpc_str_vprintf(fmt, ap);
  va_end(ap);
  append(p, s, strlen(s));
}

static bool is_blank(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
      return false;
  return true;
}

/* One comment line, trailing blanks dropped, "/" "*" and "*" "/" broken
 * apart: the first would trip -Wcomment, the second end the comment. */
static void comment_line(crpc_printer *p, const char *indent, const char *line,
                         size_t len) {
  while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
                     line[len - 1] == '\r'))
    len--;
  if (len == 0) {
    crpc_printer_printf(p, "%s *\n", indent);
    return;
  }
  crpc_printer_printf(p, "%s *%s", indent, line[0] == ' ' ? "" : " ");
  for (size_t i = 0; i < len; i++) {
    append(p, &line[i], 1);
    if (i + 1 < len && ((line[i] == '*' && line[i + 1] == '/') ||
                        (line[i] == '/' && line[i + 1] == '*')))
      append(p, " ", 1);
  }
  append(p, "\n", 1);
}

void crpc_printer_comment(crpc_printer *p, const char *indent,
                          const char *text) {
  const char *end;

  if (text == NULL || is_blank(text, strlen(text)))
    return;
  /* Leading and trailing blank lines carry nothing. */
  while (*text == '\n' || *text == '\r')
    text++;
  end = text + strlen(text);
  while (end > text && is_blank(end - 1, 1))
    end--;
  crpc_printer_printf(p, "%s/*\n", indent);
  while (text < end) {
    const char *nl = memchr(text, '\n', (size_t)(end - text));
    size_t len = nl ? (size_t)(nl - text) : (size_t)(end - text);

    comment_line(p, indent, text, len);
    text += len + (nl ? 1 : 0);
  }
  crpc_printer_printf(p, "%s */\n", indent);
}

void crpc_printer_call(crpc_printer *p, const char *indent, const char *head,
                       const char *const *args, size_t count,
                       const char *tail) {
  size_t open = strlen(indent) + strlen(head) + 1;
  size_t total = open + strlen(tail) + 1;
  size_t col;

  for (size_t i = 0; i < count; i++)
    total += strlen(args[i]) + (i ? 2 : 0);
  crpc_printer_printf(p, "%s%s(", indent, head);
  if (total <= COLUMNS) {
    for (size_t i = 0; i < count; i++)
      crpc_printer_printf(p, "%s%s", i ? ", " : "", args[i]);
    crpc_printer_printf(p, ")%s\n", tail);
    return;
  }
  /* Bin-pack after the parenthesis, as clang-format's BinPackParameters;
   * when an argument would still overflow, break after the parenthesis and
   * indent by 4 instead, as clang-format does for long names. */
  for (size_t i = 0; i < count; i++) {
    size_t need = strlen(args[i]) + 1 + (i + 1 == count ? strlen(tail) : 0);

    if (open + need > COLUMNS) {
      open = strlen(indent) + 4;
      crpc_printer_printf(p, "\n%*s", (int)open, "");
      break;
    }
  }
  col = open;
  for (size_t i = 0; i < count; i++) {
    bool last = i + 1 == count;
    size_t need = strlen(args[i]) + (last ? 1 + strlen(tail) : 1);

    if (i > 0) {
      if (col + 1 + need <= COLUMNS) {
        append(p, " ", 1);
        col++;
      } else {
        crpc_printer_printf(p, "\n%*s", (int)open, "");
        col = open;
      }
    }
    crpc_printer_printf(p, "%s%s", args[i], last ? ")" : ",");
    col += need;
  }
  if (count == 0)
    append(p, ")", 1);
  crpc_printer_printf(p, "%s\n", tail);
}
