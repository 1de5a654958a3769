/*
 * protoc-gen-crpc/printer.h: builds a generated file's text.
 *
 * Besides printf, the printer knows the two shapes generated code keeps
 * repeating: block comments copied from a .proto, and calls or prototypes
 * whose argument lists wrap at 80 columns the way clang-format (LLVM style)
 * wraps them, so the output reads like the repo's hand-written code.
 */
#ifndef CRPC_GEN_PRINTER_H
#define CRPC_GEN_PRINTER_H

#include <stddef.h>

#include "str.h"

typedef struct crpc_printer {
  char *data; /* NUL-terminated */
  size_t len;
  size_t cap;
} crpc_printer;

void crpc_printer_init(crpc_printer *p);

void crpc_printer_printf(crpc_printer *p, const char *fmt, ...)
    CRPC_GEN_PRINTF(2, 3);

/*
 * Prints |text| (a .proto comment: lines split by '\n', each usually starting
 * with a space) as a block comment indented by |indent|. "/" "*" and "*" "/"
 * inside are broken up so the comment cannot end early or nest. Prints
 * nothing for NULL or blank text.
 */
void crpc_printer_comment(crpc_printer *p, const char *indent,
                          const char *text);

/*
 * Prints |head|(|args|[0], ..., |args|[count-1])|tail| after |indent|,
 * packing the arguments onto lines aligned after the parenthesis when the
 * whole does not fit in 80 columns. |tail| is ";", " {" or "".
 */
void crpc_printer_call(crpc_printer *p, const char *indent, const char *head,
                       const char *const *args, size_t count, const char *tail);

#endif /* CRPC_GEN_PRINTER_H */
