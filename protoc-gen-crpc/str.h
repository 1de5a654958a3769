/*
 * protoc-gen-crpc/str.h: the plugin's memory.
 *
 * The plugin is a short-lived process that turns one request into one
 * response, so every string it makes lives until crpc_str_free_all() at exit.
 * Running out of memory ends the process with a message on stderr: protoc
 * then reports the plugin's failure.
 */
#ifndef CRPC_GEN_STR_H
#define CRPC_GEN_STR_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define CRPC_GEN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CRPC_GEN_PRINTF(fmt, args)
#endif

/* Zeroed memory, kept until crpc_str_free_all(). */
void *crpc_str_alloc(size_t len);

/* A copy of |s|. */
char *crpc_str_dup(const char *s);

/* A new string formatted like printf. */
char *crpc_str_printf(const char *fmt, ...) CRPC_GEN_PRINTF(1, 2);
char *crpc_str_vprintf(const char *fmt, va_list ap);

/* Frees everything handed out above. */
void crpc_str_free_all(void);

#endif /* CRPC_GEN_STR_H */
