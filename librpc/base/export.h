/*
 * base/export.h: the internal functions librpc.so exports for librpc-tls.
 *
 * TLS is a separate shared library (librpc-tls, built from librpc/tls/)
 * so that programs without TLS never load OpenSSL, whose relocated pages
 * alone would be most of an idle server's memory. It sits on top of
 * librpc and needs a few of its internal functions: the allocator, the
 * arena, the socket stream and the credentials ops (tls/credentials.h).
 * Those are marked CRPC_INTERNAL_API: exported from librpc.so like the
 * API, but declared only in internal headers, with no compatibility
 * promise, which is why librpc-tls.pc requires the same librpc version.
 */
#ifndef CRPC_BASE_EXPORT_H
#define CRPC_BASE_EXPORT_H

#include "crpc/common.h"

#define CRPC_INTERNAL_API CRPC_API

#endif /* CRPC_BASE_EXPORT_H */
