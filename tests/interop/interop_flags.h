/*
 * tests/interop/interop_flags.h: the interop programs' command line.
 *
 * grpc/grpc doc/interop-test-descriptions.md passes every option as
 * --name=value; booleans also come bare (--use_tls) or as =true / =false.
 */
#ifndef CRPC_INTEROP_FLAGS_H
#define CRPC_INTEROP_FLAGS_H

#include <stdbool.h>

/*
 * If |arg| is "--|name|=value" returns "value"; if it is a bare "--|name|"
 * returns "" (which interop_flag_bool() reads as true); otherwise NULL.
 */
const char *interop_flag(const char *arg, const char *name);

/* Parses a boolean flag value into *out; false if it is not one. */
bool interop_flag_bool(const char *value, bool *out);

/* Parses a port (0-65535) into *out; false if it is not one. */
bool interop_flag_port(const char *value, int *out);

#endif /* CRPC_INTEROP_FLAGS_H */
